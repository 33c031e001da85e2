"""Align a corrupted subtitle track back onto a video with DTW.

    python examples/align_subtitles.py [--tiny]

Generates built-in moving-shape videos, shifts, jitters (±500 ms) and drifts
their subtitle timestamps, then aligns each subtitle to its first frame
with `keras_mm.data.align_subtitles` (dtw-python, Sakoe–Chiba window) using
the motion each frame shows and the motion each subtitle names.
"""

import argparse

import numpy as np

from keras_mm.data import align_subtitles
from keras_mm.datasets import make_videos
from keras_mm.data.motion_features import motion_features
from keras_mm.data.motion_features import subtitle_motion_features


def corrupt(times, rng):
    """Shift 1 s, drift 3%, jitter ±500 ms, then re-sort."""
    return np.sort(times * 1.03 + 1.0 + rng.uniform(-0.5, 0.5, len(times)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--window-s", type=float, default=4.0)
    args = parser.parse_args(argv)
    num_videos, duration = (2, 15.0) if args.tiny else (10, 60.0)
    rng = np.random.default_rng(0)
    correct, naive, errors_ms = [], [], []
    for video in make_videos(num_videos, duration=duration, seed=0):
        fps = video["fps"]
        true = np.array([s for s, _, _ in video["subtitles"]])
        true_frames = np.ceil(true * fps - 1e-9).astype(int)
        given = corrupt(true, rng)
        result = align_subtitles(
            np.arange(len(video["frames"])) / fps, given,
            frame_features=motion_features(video["frames"]),
            subtitle_features=subtitle_motion_features(
                [t for _, _, t in video["subtitles"]]),
            window_s=args.window_s)
        off = np.abs(result["start_frames"] - true_frames)
        correct += list(off <= 1)
        naive += list(np.abs(np.round(given * fps) - true_frames) <= 1)
        errors_ms += list(off * 1000 / fps)
    summary = {"subtitles": len(correct),
               "fraction_correct": float(np.mean(correct)),
               "naive_fraction_correct": float(np.mean(naive)),
               "median_error_ms": float(np.median(errors_ms))}
    for key, value in summary.items():
        print(f"{key:24s} {value:.3f}" if isinstance(value, float)
              else f"{key:24s} {value}")
    return summary


if __name__ == "__main__":
    main()
