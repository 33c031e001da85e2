"""Real video files decoded with PyAV: frames at times, at a rate, clips."""

import numpy as np
import pytest
from video_files import NUM_FRAMES
from video_files import frame_index_shown
from video_files import moving_square_frames
from video_files import square_left_edge
from video_files import write_moving_square

from keras_mm.data.errors import DataError
from keras_mm.data.media import read_frames
from keras_mm.data.video_decoder import clip_media
from keras_mm.data.video_decoder import decode_frames
from keras_mm.data.video_decoder import parse_clip_media
from keras_mm.data.video_decoder import probe_video


@pytest.fixture(scope="module", params=["mp4", "webm"])
def video(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    return write_moving_square(folder / f"square.{request.param}")


def test_probe_reads_the_header(video):
    info = probe_video(video)
    assert info.duration == pytest.approx(2.0, abs=0.01)
    assert info.fps == pytest.approx(8.0)
    assert (info.width, info.height) == (32, 32)


def test_every_frame_comes_back_close_to_what_was_written(video):
    frames, times = decode_frames(video)
    assert frames.shape == (NUM_FRAMES, 32, 32, 3) and frames.dtype == "uint8"
    np.testing.assert_allclose(times, np.arange(NUM_FRAMES) / 8)
    error = np.abs(frames.astype(int) - moving_square_frames()).mean()
    assert error < 4  # lossy codec, high quality


@pytest.mark.parametrize("seconds", [0.0, 0.3, 0.99, 1.0, 1.62, 1.99])
def test_the_frame_at_a_time_is_the_one_on_screen(video, seconds):
    frames, times = decode_frames(video, times=[seconds])
    assert times.tolist() == [seconds]
    index = frame_index_shown(seconds)
    assert square_left_edge(frames[0]) == pytest.approx(2 + index, abs=0.3)
    patch = frames[0, 22:28, 22:28].reshape(-1, 3).mean(0)
    expected = (0, 0, 255) if index < 8 else (0, 255, 0)
    np.testing.assert_allclose(patch, expected, atol=40)


def test_times_in_any_order_resized(video):
    frames, times = decode_frames(video, times=[1.5, 0.0, 5.0, -1.0],
                                  image_size=16)
    assert frames.shape == (4, 16, 16, 3)
    assert times.tolist() == [1.5, 0.0, 5.0, -1.0]
    # Times past either end show the first / last frame.
    np.testing.assert_array_equal(frames[3], frames[1])
    edges = [square_left_edge(np.asarray(f.repeat(2, 0).repeat(2, 1)))
             for f in frames[:3]]
    np.testing.assert_allclose(edges, [14, 2, 17], atol=0.8)


def test_a_fixed_rate_and_a_clip_fragment(video):
    frames, times = decode_frames(video, fps=4)
    np.testing.assert_allclose(times, np.arange(8) / 4)
    assert frames.shape == (8, 32, 32, 3)
    clip, clip_times = decode_frames(clip_media(video, 0.5, 1.5), fps=2)
    np.testing.assert_allclose(clip_times, [0.5, 1.0])
    np.testing.assert_allclose([square_left_edge(f) for f in clip],
                               [6, 10], atol=0.3)


def test_read_frames_decodes_video_files(video):
    frames, times = read_frames(video)
    assert frames.shape == (NUM_FRAMES, 32, 32, 3)
    frames, times = read_frames(video + "#t=1,2")
    assert len(frames) == 8 and times[0] == pytest.approx(1.0)


def test_clip_media_round_trips():
    media = clip_media("a/b c.mp4", 1.25, 3.5)
    assert media == "a/b c.mp4#t=1.250,3.500"
    assert parse_clip_media(media) == ("a/b c.mp4", 1.25, 3.5)
    assert parse_clip_media("v.mp4#t=2") == ("v.mp4", 2.0, None)
    assert parse_clip_media("v.mp4#t=,4") == ("v.mp4", 0.0, 4.0)
    assert parse_clip_media("v#1.mp4") == ("v#1.mp4", None, None)
    with pytest.raises(ValueError, match="start <= end"):
        clip_media("v.mp4", 3, 2)


def test_missing_and_undecodable_files_name_the_file(tmp_path):
    with pytest.raises(DataError, match="missing file .*nope.mp4"):
        decode_frames(str(tmp_path / "nope.mp4"), times=[0])
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01 not a video" * 20)
    with pytest.raises(DataError, match="bad.mp4") as info:
        decode_frames(str(bad), times=[0])
    assert info.value.kind == "undecodable"
    assert "\n" not in str(info.value)


def test_encoded_bytes_decode_too(video):
    with open(video, "rb") as f:
        frames, _ = decode_frames(f.read(), times=[1.0])
    assert square_left_edge(frames[0]) == pytest.approx(10, abs=0.3)


def test_missing_pyav_says_how_to_install(monkeypatch, video):
    import builtins

    real_import = builtins.__import__

    def no_av(name, *args, **kwargs):
        if name == "av":
            raise ImportError("No module named 'av'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_av)
    with pytest.raises(ImportError, match=r"pip install 'keras_mm\[video\]'"):
        decode_frames(video, times=[0])
