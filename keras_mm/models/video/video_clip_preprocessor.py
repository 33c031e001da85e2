"""Video clips -> evenly sampled frames: `keras_mm.models.VideoEncoder`'s
input, saved with the model so a reloaded `.keras` reads videos itself."""

import os

import numpy as np

from keras_mm.api_export import keras_mm_export


def clip_times(start, end, num_frames):
    """Centres of `num_frames` equal parts of `[start, end]` (seconds)."""
    return start + (np.arange(num_frames) + 0.5) * (end - start) / num_frames


@keras_mm_export
class VideoClipPreprocessor:
    """Video clips -> `{"frames": float32 (N, num_frames, S, S, 3)}` in
    [0, 255].

    A clip is a video file with an optional W3C time fragment,
    `"talk.mp4#t=12.0,15.5"` (what `keras_mm.data.read_video_subtitle_pairs`
    writes into `Pair.media`); without one the whole video is the clip.
    `num_frames` frames are taken at the centres of equal parts of the
    span (PyAV, `keras_mm.data.decode_frames`) and resized to `S × S`
    (bilinear, aspect ratio not kept, as the image pipeline does). Frame
    folders and `.npy` arrays (`keras_mm.data.read_frames`, with their
    `.fps` file) and decoded arrays `(T, H, W, 3)` work too.

    Args:
        num_frames: int. Frames per clip (the encoder's `num_frames`).
        image_size: int. Frame side `S` (the frame encoder's image size).

    Call arguments:
        items: a list of clips (str), encoded video bytes, or uint8 arrays
            `(T, H, W, 3)`.

    Example:
    ```python
    preprocess = keras_mm.models.VideoClipPreprocessor(8, 32)
    preprocess(["talk.mp4#t=12.0,15.5"])["frames"].shape  # (1, 8, 32, 32, 3)
    ```
    """

    output_key = "frames"

    def __init__(self, num_frames=8, image_size=32):
        for name, value in (("num_frames", num_frames),
                            ("image_size", image_size)):
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"{name} must be a positive int. Received: "
                                 f"{name}={value!r}")
        self.num_frames = num_frames
        self.image_size = image_size

    @property
    def output_shape(self):
        return (self.num_frames, self.image_size, self.image_size, 3)

    def __call__(self, items):
        if isinstance(items, np.ndarray) and items.ndim == 4:
            items = [items]
        return {"frames": np.stack([self.preprocess_one(x) for x in items])}

    def preprocess_one(self, item, source=None):
        """One clip -> float32 `(num_frames, S, S, 3)`."""
        from keras_mm.data import video_decoder

        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if isinstance(item, np.ndarray):
            return self._from_array(item)
        path, start, end = (video_decoder.parse_clip_media(item)
                            if isinstance(item, str) else (item, None, None))
        if isinstance(path, str) and not video_decoder.is_video_container(
                path) and os.path.exists(path):
            return self._from_frame_files(path, start, end)
        start = start or 0.0
        if end is None:
            end = video_decoder.probe_video(path, source=source).duration
            if end is None:
                name = path if isinstance(path, str) else "<bytes>"
                raise ValueError(f"{name}: the video records no duration; "
                                 "give the clip as 'path#t=start,end'")
        frames, _ = video_decoder.decode_frames(
            path, times=clip_times(start, end, self.num_frames),
            image_size=self.image_size, source=source)
        return frames.astype(np.float32)

    def _from_frame_files(self, path, start, end):
        from keras_mm.data.media import read_frames

        frames, times = read_frames(path)
        start = 0.0 if start is None else start
        end = times[-1] + (times[1] - times[0] if len(times) > 1 else 0) if (
            end is None) else end
        wanted = clip_times(start, end, self.num_frames)
        index = np.clip(np.searchsorted(times, wanted, side="right") - 1,
                        0, len(frames) - 1)  # The frame on screen at t.
        return self._resize(frames[index])

    def _from_array(self, frames):
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError("Decoded frames must be (T, H, W, 3). "
                             f"Received: shape={frames.shape}")
        index = np.floor(clip_times(0, len(frames), self.num_frames)).astype(
            int)
        return self._resize(frames[index])

    def _resize(self, frames):
        from PIL import Image

        size = (self.image_size, self.image_size)
        out = []
        for frame in frames:
            if frame.dtype != np.uint8:
                frame = np.clip(np.round(frame), 0, 255).astype(np.uint8)
            if frame.shape[:2] != size:
                frame = np.asarray(Image.fromarray(frame).resize(
                    size, Image.Resampling.BILINEAR))
            out.append(frame)
        return np.stack(out).astype(np.float32)

    @classmethod
    def for_encoder(cls, encoder):
        """The preprocessor matching a `VideoEncoder`'s config."""
        height = encoder.input["frames"].shape[2]
        return cls(int(encoder.num_frames), int(height))

    def get_config(self):
        return {"num_frames": self.num_frames, "image_size": self.image_size}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
