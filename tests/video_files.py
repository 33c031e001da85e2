"""A tiny real video for the tests: a red square moving right, 1 px a
frame, over a patch that turns from blue to green at 1 s (2 s, 8 fps,
32 × 32), written with PyAV."""

import numpy as np

from keras_mm.data.video_writer import write_video

FPS = 8
NUM_FRAMES = 16
SIZE = 32
SQUARE = 8  # Side of the red square; its left edge is at x = 2 + frame.


def moving_square_frames():
    """uint8 `(16, 32, 32, 3)`."""
    frames = np.zeros((NUM_FRAMES, SIZE, SIZE, 3), np.uint8)
    for i in range(NUM_FRAMES):
        frames[i, 4:4 + SQUARE, 2 + i:2 + i + SQUARE] = (255, 0, 0)
        frames[i, 20:30, 20:30] = (0, 0, 255) if i < FPS else (0, 255, 0)
    return frames


def frame_index_shown(seconds):
    """The frame on screen at `seconds` (clamped to the video)."""
    return int(np.clip(np.floor(seconds * FPS + 1e-9), 0, NUM_FRAMES - 1))


def square_left_edge(frame):
    """Sub-pixel x of the red square's left edge in a decoded frame."""
    red = frame[4:4 + SQUARE, :, 0].astype(np.float64)
    red = np.clip(red - frame[4:4 + SQUARE, :, 1], 0, None)  # not white
    columns = red.mean(axis=0) / 255.0  # (W,), ~1 inside the square
    xs = np.arange(frame.shape[1])
    return float((columns * xs).sum() / columns.sum()) - (SQUARE - 1) / 2


def write_moving_square(path):
    write_video(str(path), moving_square_frames(), FPS)
    return str(path)
