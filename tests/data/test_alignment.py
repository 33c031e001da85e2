import numpy as np
import pytest

from keras_mm.data.alignment import align_subtitles
from keras_mm.datasets.video import make_videos
from keras_mm.data.motion_features import motion_features
from keras_mm.data.motion_features import subtitle_motion_features

CORRUPTIONS = {
    "shift": lambda t, rng: t + 1.5,
    "jitter": lambda t, rng: t + rng.uniform(-0.5, 0.5, len(t)),
    "drift": lambda t, rng: t * 1.04 + 0.2,
    "all": lambda t, rng: t * 1.02 + 0.8 + rng.uniform(-0.5, 0.5, len(t)),
}


@pytest.fixture(scope="module")
def videos():
    return make_videos(4, duration=20.0, seed=11)


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_at_least_95_percent_land_on_the_right_frame(videos, corruption):
    rng = np.random.default_rng(0)
    hits, naive_hits, errors_ms = [], [], []
    for video in videos:
        fps = video["fps"]
        true = np.array([s for s, _, _ in video["subtitles"]])
        true_frames = np.ceil(true * fps - 1e-9).astype(int)
        given = np.sort(CORRUPTIONS[corruption](true, rng))
        result = align_subtitles(
            np.arange(len(video["frames"])) / fps, given,
            frame_features=motion_features(video["frames"]),
            subtitle_features=subtitle_motion_features(
                [t for _, _, t in video["subtitles"]]),
            window_s=4.0)
        off = np.abs(result["start_frames"] - true_frames)
        hits += list(off <= 1)
        naive_hits += list(np.abs(np.round(given * fps) - true_frames) <= 1)
        errors_ms += list(off / fps * 1000)
    accuracy = np.mean(hits)
    print(f"{corruption}: {accuracy:.3f} correct, median error "
          f"{np.median(errors_ms):.0f} ms, naive {np.mean(naive_hits):.3f}")
    assert accuracy >= 0.95
    assert np.median(errors_ms) <= 100
    if corruption != "jitter":
        assert np.mean(naive_hits) < 0.5  # the timestamps alone are wrong


def test_blocks_and_refinement_match_frame_level_alignment(videos):
    video = videos[0]
    times = np.arange(len(video["frames"])) / video["fps"]
    starts = [s + 0.7 for s, _, _ in video["subtitles"]]
    kwargs = dict(frame_features=motion_features(video["frames"]),
                  subtitle_features=subtitle_motion_features(
                      [t for _, _, t in video["subtitles"]]), window_s=3.0)
    exact = align_subtitles(times, starts, **kwargs)
    pooled = align_subtitles(times, starts, max_cells=len(starts) * 40,
                             **kwargs)
    assert exact["block_size"] == 1 and pooled["block_size"] == 5
    assert np.abs(exact["start_frames"] - pooled["start_frames"]).max() <= 1
    assert exact["error_s"][0] == pytest.approx(-0.7)


def test_timestamps_only_alignment_and_step_patterns():
    times = np.arange(100) / 10.0
    for pattern in ("asymmetric", "symmetric2"):
        result = align_subtitles(times, [0.0, 3.0, 6.5], [3.0, 6.5, 9.9],
                                 step_pattern=pattern, window_s=2.0)
        assert result["start_frames"].tolist() == [0, 30, 65]
        assert result["end_frames"].tolist() == [30, 65, 100]


@pytest.mark.parametrize("frames, starts, message", [
    ([], [0.0], "frame_times must be a non-empty"),
    ([0.0, 1.0], [], "subtitle_starts must be a non-empty"),
    ([0.0, 2.0, 1.0], [0.0], r"frame_times must be sorted: index 2"),
    ([0.0, 1.0, 2.0], [1.0, 0.5], "subtitle_starts must be sorted"),
    ([0.0, np.nan, 2.0], [0.0], "frame_times must be finite: index 1"),
    ([0.0, 1.0, 2.0], [0.0, np.inf], "subtitle_starts must be finite"),
])
def test_clear_errors_for_bad_timestamps(frames, starts, message):
    with pytest.raises(ValueError, match=message):
        align_subtitles(frames, starts)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="step_pattern"):
        align_subtitles([0.0, 1.0], [0.0], step_pattern="nope")
    with pytest.raises(ValueError, match="both frame_features"):
        align_subtitles([0.0, 1.0], [0.0], frame_features=np.ones((2, 1)))
    with pytest.raises(ValueError, match="increase window_s"):
        align_subtitles(np.arange(100.0), [0.0, 99.0], [1.0, 99.5],
                        window_s=0.1, step_pattern="symmetric2")
