"""Subtitle ↔ frame alignment with dynamic time warping (dtw-python).

Frames are the query (rows) and subtitles the reference (columns). With the
`"asymmetric"` step pattern every frame is matched to exactly one subtitle
and the path is monotone, so each subtitle gets a contiguous run of frames:
its first frame is where the subtitle starts. The local cost adds a feature
mismatch (e.g. the motion a frame shows vs. the motion a subtitle names) to
a small penalty on the distance between the frame's time and the
subtitle's (possibly shifted, jittered, drifted) time interval.

A Sakoe–Chiba band, measured in seconds (`|t_frame - subtitle| <= window_s`),
limits the path. Long videos are first pooled into blocks so the cost
matrix holds at most `max_cells` cells (memory independent of the number of
frames), then each subtitle's start is refined to the exact frame inside
its block's neighbourhood.
"""

import math

import numpy as np

STEP_PATTERNS = ("asymmetric", "symmetric2", "symmetric1")


def _check_times(name, times):
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of "
                         f"seconds. Received shape {times.shape}")
    bad = ~np.isfinite(times)
    if bad.any():
        raise ValueError(f"{name} must be finite: index "
                         f"{int(np.argmax(bad))} is {times[bad][0]}")
    backwards = np.flatnonzero(np.diff(times) < 0)
    if backwards.size:
        k = int(backwards[0])
        raise ValueError(f"{name} must be sorted: index {k + 1} "
                         f"({times[k + 1]}) comes before index {k} "
                         f"({times[k]})")
    return times


def _check_features(name, features, length):
    if features is None:
        return None
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 1:
        features = features[:, None]
    if features.shape[0] != length:
        raise ValueError(f"{name} has {features.shape[0]} rows; expected "
                         f"{length}")
    if not np.isfinite(features).all():
        raise ValueError(f"{name} must be finite")
    return features


def _feature_cost(a, b):
    # Squared Euclidean distance, (Na, Nb), without forming (Na, Nb, D).
    return np.maximum(
        (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0.0)


# Intervals are half-open, [start, end): a frame at a cue's end time belongs
# to the next cue. The epsilon breaks that tie.
_END_EPSILON = 1e-6


def _interval_distance(t, start, end):
    # Seconds from each time t (N,) to each interval [start, end) (M,).
    return np.maximum(np.maximum(start[None, :] - t[:, None],
                                 t[:, None] - end[None, :] + _END_EPSILON),
                      0.0)


def align_subtitles(frame_times, subtitle_starts, subtitle_ends=None,
                    frame_features=None, subtitle_features=None,
                    window_s=10.0, step_pattern="asymmetric",
                    time_weight=0.05, max_cells=4_000_000):
    """Aligns subtitles to frames; returns per-subtitle frame indices.

    Args:
        frame_times: (N,) seconds, sorted, finite.
        subtitle_starts: (M,) seconds, sorted, finite.
        subtitle_ends: (M,) seconds or None (then the next start).
        frame_features: (N, D) or None. Per-frame descriptors.
        subtitle_features: (M, D) or None. Per-subtitle descriptors in the
            same space (both or neither).
        window_s: float. Sakoe–Chiba band half-width in seconds.
        step_pattern: str. A dtw-python step pattern name
            (`"asymmetric"` gives one subtitle per frame).
        time_weight: float. Cost per second outside a subtitle's interval.
        max_cells: int. Cap on the cost matrix size (frames are pooled
            into blocks above it).

    Returns:
        A dict: `"start_frames"` (M,) int, `"end_frames"` (M,) int
        (exclusive), `"start_times"` (M,), `"error_s"` (M,) aligned start
        minus given start, `"distance"` (DTW normalized distance) and
        `"block_size"`.

    Example:
    ```python
    result = keras_mm.data.alignment.align_subtitles(
        frame_times, [s.start for s in subs], [s.end for s in subs],
        frame_features, subtitle_features, window_s=5.0)
    result["start_frames"]
    ```
    """
    import dtw as dtw_python

    if step_pattern not in STEP_PATTERNS:
        raise ValueError(f"step_pattern must be one of {STEP_PATTERNS}. "
                         f"Received: {step_pattern!r}")
    if not window_s > 0:
        raise ValueError(f"window_s must be > 0. Received: {window_s}")
    frame_times = _check_times("frame_times", frame_times)
    starts = _check_times("subtitle_starts", subtitle_starts)
    if subtitle_ends is None:
        ends = np.append(starts[1:], max(starts[-1], frame_times[-1]))
    else:
        ends = np.asarray(subtitle_ends, dtype=np.float64)
        if ends.shape != starts.shape or not np.isfinite(ends).all():
            raise ValueError("subtitle_ends must be finite and match "
                             "subtitle_starts in length")
        if (ends < starts).any():
            k = int(np.argmax(ends < starts))
            raise ValueError(f"subtitle {k} ends before it starts")
    n, m = len(frame_times), len(starts)
    if m > n:
        raise ValueError(f"more subtitles ({m}) than frames ({n})")
    ff = _check_features("frame_features", frame_features, n)
    sf = _check_features("subtitle_features", subtitle_features, m)
    if (ff is None) != (sf is None):
        raise ValueError("pass both frame_features and subtitle_features, "
                         "or neither")

    # === Pool frames into blocks so the matrix has <= max_cells cells ===
    block = max(1, math.ceil(n * m / max_cells))
    num_blocks = math.ceil(n / block)
    if num_blocks < m:
        raise ValueError(f"max_cells={max_cells} is too small for {m} "
                         "subtitles")
    pad = num_blocks * block - n
    block_times = np.pad(frame_times, (0, pad), mode="edge").reshape(
        num_blocks, block).mean(1)
    cost = time_weight * _interval_distance(block_times, starts, ends)
    if ff is not None:
        block_features = np.pad(ff, ((0, pad), (0, 0)), mode="edge").reshape(
            num_blocks, block, -1).mean(1)
        cost += _feature_cost(block_features, sf)  # (blocks, M)

    def band(iw, jw, query_size, reference_size):
        # Sakoe–Chiba band in seconds around each subtitle's interval.
        return _interval_distance_pairs(block_times[iw], starts[jw],
                                        ends[jw]) <= window_s

    try:
        result = dtw_python.dtw(cost, step_pattern=step_pattern,
                                window_type=band)
    except ValueError as e:
        raise ValueError(f"no alignment inside a {window_s}s window "
                         f"({e}); increase window_s") from None
    rows, cols = result.index1, result.index2  # (path,), (path,)

    # First block of each subtitle; skipped subtitles take the next one's.
    first_block = np.full(m, num_blocks, dtype=np.int64)
    np.minimum.at(first_block, cols, rows)
    for j in range(m - 2, -1, -1):
        first_block[j] = min(first_block[j], first_block[j + 1])
    start_frames = np.minimum(first_block * block, n - 1)
    if block > 1 and ff is not None:
        start_frames = _refine(start_frames, ff, sf, block, n)
    start_frames = np.maximum.accumulate(start_frames)
    end_frames = np.append(start_frames[1:], n)
    start_times = frame_times[start_frames]
    return {
        "start_frames": start_frames,
        "end_frames": end_frames,
        "start_times": start_times,
        "error_s": start_times - starts,
        "distance": float(result.normalizedDistance),
        "block_size": block,
    }


def _interval_distance_pairs(t, start, end):
    return np.maximum(np.maximum(start - t, t - end), 0.0)


def _refine(start_frames, ff, sf, block, n):
    """Moves each boundary, within ±block frames, to the best frame.

    The best boundary k between subtitles j-1 and j minimises the cost of
    frames [lo, k) against subtitle j-1 plus frames [k, hi) against j.
    """
    refined = start_frames.copy()
    for j in range(1, len(start_frames)):
        lo = max(int(start_frames[j]) - block, int(refined[j - 1]))
        hi = min(int(start_frames[j]) + block + 1, n)
        if hi - lo < 2:
            continue
        seg = ff[lo:hi]
        before = ((seg - sf[j - 1]) ** 2).sum(1)
        after = ((seg - sf[j]) ** 2).sum(1)
        # total(k) = sum(before[:k-lo]) + sum(after[k-lo:]) for k in [lo, hi]
        total = np.concatenate([[0], np.cumsum(before)]) + np.concatenate(
            [np.cumsum(after[::-1])[::-1], [0]])
        refined[j] = lo + int(np.argmin(total))
    return refined
