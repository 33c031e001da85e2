"""Motion words as features, for aligning subtitles that name motions.

A frame's feature is the direction its bright object moved since the
previous frame; a subtitle's is the motion it names ("moves left"). The
built-in videos (`keras_mm.datasets.video`) are drawn with these words,
and `align_subtitles` matches the two sequences.
"""

import numpy as np

MOTIONS = {
    "moves left": (0.0, -1.0),
    "moves right": (0.0, 1.0),
    "moves up": (-1.0, 0.0),
    "moves down": (1.0, 0.0),
    "stays still": (0.0, 0.0),
}


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
