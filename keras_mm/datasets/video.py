"""Procedural videos of a moving shape with a SubRip-style subtitle track.

A video is a sequence of segments; in each, the shape moves in one direction
(or stays still) for 1–3 s, and consecutive segments never share a motion.
Each segment has one subtitle ("the red circle moves left") whose start and
end are the segment's true times, so alignment can be scored exactly.
"""

import numpy as np

from keras_mm.datasets.shapes import COLORS
from keras_mm.datasets.shapes import SHAPES
from keras_mm.datasets.shapes import _shape_mask

MOTIONS = {
    "moves left": (0.0, -1.0),
    "moves right": (0.0, 1.0),
    "moves up": (-1.0, 0.0),
    "moves down": (1.0, 0.0),
    "stays still": (0.0, 0.0),
}


def sample_segments(duration, rng, min_length=1.0, max_length=3.0):
    """[(start, end, motion)] covering `[0, duration)`, motions alternating."""
    segments, t, previous = [], 0.0, None
    names = list(MOTIONS)
    while t < duration - 1e-9:
        length = min(rng.uniform(min_length, max_length), duration - t)
        motion = names[rng.integers(len(names))]
        while motion == previous:
            motion = names[rng.integers(len(names))]
        segments.append((t, t + length, motion))
        previous, t = motion, t + length
    return segments


def make_videos(num_videos, duration=12.0, fps=10, image_size=32, seed=0):
    """Generates `num_videos` videos, each with its true subtitle track.

    Returns:
        A list of dicts: `"frames"` uint8 `(T, S, S, 3)`, `"fps"`,
        `"subtitles"` (list of `(start_s, end_s, text)`) and `"motions"`
        (the motion name of every frame).

    Example:
    ```python
    video = keras_mm.datasets.make_videos(1, duration=6, seed=0)[0]
    video["frames"].shape, video["subtitles"][0]
    ```
    """
    if num_videos < 1:
        raise ValueError(f"num_videos must be >= 1. Received: {num_videos}")
    rng = np.random.default_rng(seed)
    videos = []
    for _ in range(num_videos):
        shape = SHAPES[rng.integers(len(SHAPES))]
        color = list(COLORS)[rng.integers(len(COLORS))]
        segments = sample_segments(duration, rng)
        num_frames = int(round(duration * fps))
        times = np.arange(num_frames) / fps
        radius = image_size * 0.12
        speed = image_size * 0.35 / fps  # pixels per frame
        pos = np.array([image_size / 2, image_size / 2])
        frames = np.empty((num_frames, image_size, image_size, 3), np.uint8)
        motions = []
        background = rng.integers(0, 30, (image_size, image_size, 3))
        for f, t in enumerate(times):
            seg = next(s for s in segments if s[0] <= t < s[1] + 1e-9)
            motions.append(seg[2])
            step = np.array(MOTIONS[seg[2]]) * speed
            low, high = radius + 1, image_size - radius - 1
            # Wrap around the edges so the motion direction stays visible.
            pos = low + np.mod(pos + step - low, high - low)
            image = background.copy()
            mask = _shape_mask(shape, pos[0], pos[1], radius, image_size)
            image[mask] = COLORS[color]
            frames[f] = image
        subtitles = [(s, e, f"the {color} {shape} {m}")
                     for s, e, m in segments]
        videos.append({"frames": frames, "fps": float(fps),
                       "subtitles": subtitles, "motions": motions})
    return videos


def motion_features(frames):
    """Per-frame motion one-hots `(T, 5)` (order of `MOTIONS`) from frames.

    The shape's centroid displacement since the previous frame (wrapped at
    the edges) gives the direction; frame 0 copies frame 1.
    """
    frames = np.asarray(frames)
    size = frames.shape[1]
    radius = size * 0.12
    period = size - 2 * (radius + 1)
    mask = frames.max(axis=-1) > 100  # (T, S, S): the shape, not background
    yy, xx = np.mgrid[0:size, 0:size]
    count = np.maximum(mask.sum(axis=(1, 2)), 1)
    centroid = np.stack([(mask * yy).sum(axis=(1, 2)) / count,
                         (mask * xx).sum(axis=(1, 2)) / count], axis=1)
    delta = np.diff(centroid, axis=0, prepend=centroid[:1])
    delta = (delta + period / 2) % period - period / 2
    if len(delta) > 1:
        delta[0] = delta[1]
    return _direction_one_hot(delta)


def _direction_one_hot(delta, threshold=0.3):
    names = list(MOTIONS)
    out = np.zeros((len(delta), len(names)), np.float32)
    still = np.abs(delta).max(axis=1) < threshold
    vertical = np.abs(delta[:, 0]) >= np.abs(delta[:, 1])
    idx = np.where(vertical, np.where(delta[:, 0] < 0, 2, 3),
                   np.where(delta[:, 1] < 0, 0, 1))
    idx[still] = names.index("stays still")
    out[np.arange(len(delta)), idx] = 1.0
    return out


def subtitle_motion_features(texts):
    """One-hot `(M, 5)` of the motion each subtitle text names."""
    names = list(MOTIONS)
    out = np.zeros((len(texts), len(names)), np.float32)
    for i, text in enumerate(texts):
        for k, name in enumerate(names):
            if name in text:
                out[i, k] = 1.0
    return out
