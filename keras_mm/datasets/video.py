"""Procedural videos of a moving shape with a SubRip-style subtitle track.

A video is a sequence of segments; in each, the shape moves in one direction
(or stays still) for 1–3 s, and consecutive segments never share a motion.
Each segment has one subtitle ("the red circle moves left") whose start and
end are the segment's true times, so alignment can be scored exactly.
"""

import numpy as np

from keras_mm.data.motion_features import MOTIONS
from keras_mm.datasets.shapes import COLORS
from keras_mm.datasets.shapes import SHAPES
from keras_mm.datasets.shapes import _shape_mask


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
