"""Videos + .srt -> clip–subtitle pairs, re-timed by DTW where it can."""

import json

import numpy as np
import pytest
from video_files import write_moving_square

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.srt import write_srt
from keras_mm.data.video_decoder import parse_clip_media
from keras_mm.data.video_subtitle_pairs import is_video_subtitle_source
from keras_mm.data.video_subtitle_pairs import read_video_subtitle_pairs
from keras_mm.data.video_subtitle_pairs import video_subtitle_pairs
from keras_mm.data.video_writer import write_video

CUES = [(0.0, 0.9, "the square starts on the left"),
        (1.0, 1.9, "the patch\nturns green"),
        (2.5, 3.0, "after the end")]


@pytest.fixture
def video(tmp_path):
    path = write_moving_square(tmp_path / "square.mp4")
    write_srt(CUES, str(tmp_path / "square.srt"))
    return path


def test_one_pair_per_cue_with_its_clip(video, tmp_path):
    report = ErrorReport(verbose=False)
    pairs = video_subtitle_pairs(video, on_error="skip", report=report)
    assert [p.text for p in pairs] == ["the square starts on the left",
                                      "the patch turns green"]
    assert [parse_clip_media(p.media) for p in pairs] == [
        (video, 0.0, 0.9), (video, 1.0, 1.9)]
    assert pairs[1].modality == "video"
    assert pairs[1].source == f"{tmp_path / 'square.srt'}, cue 2"
    assert pairs[1].meta["cue"] == 2 and pairs[1].meta["start"] == 1.0
    assert report.totals() == {"outside_video": 1}  # cue 3 starts at 2.5 s
    with pytest.raises(DataError, match="cue 3: starts at 2.500s, after "
                       "the video ends"):
        video_subtitle_pairs(video)


def test_dtw_retimes_shifted_subtitles_on_a_real_video(tmp_path):
    from keras_mm.datasets.video import make_videos

    built_in = make_videos(1, duration=8.0, fps=10, seed=3)[0]
    path = str(tmp_path / "shapes.webm")
    write_video(path, built_in["frames"], built_in["fps"])
    true_starts = np.array([s for s, _, _ in built_in["subtitles"]])
    # The subtitle file is 0.8 s late.
    write_srt([(s + 0.8, e + 0.8, t) for s, e, t in built_in["subtitles"]],
              str(tmp_path / "shapes.srt"))
    as_written = video_subtitle_pairs(path, on_error="skip")
    retimed = video_subtitle_pairs(path, features="motion", window_s=2.0)
    assert len(retimed) == len(true_starts)
    written = np.array([p.meta["start"] for p in as_written])
    np.testing.assert_allclose(written, true_starts[:len(written)] + 0.8,
                               atol=1e-3)  # .srt keeps milliseconds
    starts = np.array([p.meta["start"] for p in retimed])
    assert np.abs(starts - true_starts).max() <= 0.15  # ~1 frame
    ends = [p.meta["end"] for p in retimed]
    assert all(e <= s for e, s in zip(ends, starts[1:]))  # no overlap


def test_manifests_and_folders(video, tmp_path):
    (tmp_path / "clips.csv").write_text(
        "video,subtitles,split\nsquare.mp4,square.srt,train\n"
        "gone.mp4,gone.srt,train\n")
    report = ErrorReport(verbose=False)
    pairs = read_video_subtitle_pairs(str(tmp_path / "clips.csv"),
                                      report=report)
    assert len(pairs) == 2 and pairs[0].meta["split"] == "train"
    assert report.totals() == {"outside_video": 1, "missing_file": 1}
    # No subtitles column: the .srt beside each video.
    (tmp_path / "clips.jsonl").write_text(
        json.dumps({"filepath": "square.mp4", "title": "x"}) + "\n")
    pairs = read_video_subtitle_pairs(str(tmp_path / "clips.jsonl"))
    assert [p.text for p in pairs][:1] == ["the square starts on the left"]
    assert len(read_video_subtitle_pairs(str(tmp_path))) == 2
    assert len(read_video_subtitle_pairs(video)) == 2


def test_bad_sources_are_one_line_errors(video, tmp_path):
    (tmp_path / "bad.csv").write_text("clip,caption\nsquare.mp4,hi\n")
    with pytest.raises(DataError, match=r"bad.csv: no video column: expected"
                       r" one of video, filepath.*columns found: clip, "
                       r"caption\)"):
        read_video_subtitle_pairs(str(tmp_path / "bad.csv"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_video_subtitle_pairs(str(tmp_path / "nowhere"))
    lonely = write_moving_square(tmp_path / "lonely.mp4")
    with pytest.raises(DataError, match="no subtitles: expected .*lonely.srt"):
        video_subtitle_pairs(lonely)
    with pytest.raises(ValueError, match="features must be None, 'motion'"):
        video_subtitle_pairs(video, features="colour")


def test_which_sources_hold_videos_with_subtitles(video, tmp_path):
    (tmp_path / "with_srt.csv").write_text("video,srt\nsquare.mp4,s.srt\n")
    (tmp_path / "beside.csv").write_text("video\nsquare.mp4\n")
    (tmp_path / "captioned.csv").write_text("video,caption\nsquare.mp4,hi\n")
    assert is_video_subtitle_source(video)
    assert is_video_subtitle_source(str(tmp_path))
    assert is_video_subtitle_source(str(tmp_path / "with_srt.csv"))
    assert is_video_subtitle_source(str(tmp_path / "beside.csv"))
    assert not is_video_subtitle_source(str(tmp_path / "captioned.csv"))
    assert not is_video_subtitle_source(str(tmp_path / "nowhere"))
