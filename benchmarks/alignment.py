"""DTW subtitle alignment at scale: 100 000 frames × 1 000 subtitles.

    PYTHONPATH=. python benchmarks/alignment.py [--frames N --subtitles M]

Builds a synthetic motion track (10 fps) whose segments each carry one
subtitle, corrupts the subtitle times (2 s shift, ±0.5 s jitter and a 0.1%
drift, the 23.976 vs 24 fps mismatch), aligns with the Sakoe–Chiba window
and block pooling, and reports the time, the peak Python memory
(tracemalloc), the cost-matrix size and accuracy (start within one frame).
Memory is bounded by `--max-cells` (the pooled cost matrix), whatever the
number of frames; the window bounds which cells the path may use. Writes benchmarks/results/alignment.json.
"""

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import machine  # noqa: E402
from common import print_table  # noqa: E402
from common import write_results  # noqa: E402

from keras_mm.data.alignment import align_subtitles  # noqa: E402


def synthetic_track(num_frames, num_subtitles, fps, seed):
    rng = np.random.default_rng(seed)
    # Segment lengths around num_frames / num_subtitles, at least 10 frames.
    lengths = rng.uniform(0.5, 1.5, num_subtitles)
    lengths = np.maximum(10, lengths / lengths.sum() * num_frames).astype(int)
    lengths[-1] = num_frames - lengths[:-1].sum()
    labels = np.zeros(num_subtitles, int)
    for j in range(1, num_subtitles):  # consecutive motions differ
        labels[j] = (labels[j - 1] + rng.integers(1, 5)) % 5
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    frame_labels = np.repeat(labels, lengths)
    noisy = rng.random(num_frames) < 0.05  # 5% of frames mis-detected
    frame_labels[noisy] = rng.integers(0, 5, noisy.sum())
    eye = np.eye(5, dtype=np.float32)
    return starts, lengths, eye[frame_labels], eye[labels]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--subtitles", type=int, default=1_000)
    parser.add_argument("--window-s", type=float, default=30.0)
    parser.add_argument("--max-cells", type=int, default=4_000_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    fps = 10.0
    starts, lengths, frame_features, sub_features = synthetic_track(
        args.frames, args.subtitles, fps, seed=0)
    rng = np.random.default_rng(1)
    true_times = starts / fps
    given = true_times * 1.001 + 2.0 + rng.uniform(-0.5, 0.5, len(starts))
    given = np.sort(given)
    ends = np.append(given[1:], given[-1] + lengths[-1] / fps)
    frame_times = np.arange(args.frames) / fps

    tracemalloc.start()
    tick = time.perf_counter()
    result = align_subtitles(frame_times, given, ends, frame_features,
                             sub_features, window_s=args.window_s,
                             max_cells=args.max_cells)
    seconds = time.perf_counter() - tick
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    off = np.abs(result["start_frames"] - starts)
    blocks = -(-args.frames // result["block_size"])
    figures = {
        "frames": args.frames,
        "subtitles": args.subtitles,
        "window_s": args.window_s,
        "block_size": result["block_size"],
        "cost_matrix_cells": blocks * args.subtitles,
        "seconds": seconds,
        "peak_memory_mb": peak / 2**20,
        "fraction_correct": float((off <= 1).mean()),
        "median_error_ms": float(np.median(off) / fps * 1000),
        "naive_fraction_correct": float(
            (np.abs(np.round(given * fps) - starts) <= 1).mean()),
        "machine": machine(backend=None, device="cpu"),
    }
    print_table([(k, f"{v:.4g}" if isinstance(v, float) else v)
                 for k, v in figures.items() if k != "machine"],
                ("figure", "value"))
    if not args.no_write:
        print("wrote", write_results("alignment", figures))
    return figures


if __name__ == "__main__":
    main()
