"""Decoding of media into numpy arrays: images (PIL), WAV (stdlib), frames.

Every decoder raises `DataError` (kind `"undecodable"` or `"missing_file"`)
naming the file, so pipelines can raise or skip with one rule.
"""

import glob
import io
import os
import wave

import numpy as np

from keras_mm.data.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def _open(media, source):
    if isinstance(media, (bytes, bytearray)):
        return io.BytesIO(media)
    if not os.path.isfile(media):
        raise DataError(source or media, None, f"missing file {media!r}",
                        kind="missing_file")
    return media


def decode_image(media, image_size=None, source=None):
    """PNG/JPEG (path or bytes) -> uint8 `(H, W, 3)`, resized if asked."""
    from PIL import Image

    try:
        with Image.open(_open(media, source)) as img:
            img.load()  # Forces the full decode: catches truncated files.
            img = img.convert("RGB")
            if image_size and img.size != (image_size, image_size):
                img = img.resize((image_size, image_size),
                                 Image.Resampling.BILINEAR)
            return np.asarray(img, np.uint8)
    except DataError:
        raise
    except Exception as e:  # PIL raises many types for bad data.
        name = media if isinstance(media, str) else "<bytes>"
        raise DataError(source or name, None, f"cannot decode image {name!r}"
                        f" ({type(e).__name__}: {e})",
                        kind="undecodable") from None


class WavFormatError(DataError):
    """A WAV the standard library cannot read (float, extensible, 24-bit):
    not corrupt, so `read_audio` hands it to FFmpeg."""


def read_wav(media, source=None):
    """WAV (path or bytes, 8/16/32-bit PCM) -> (mono float32, rate).

    Raises:
        DataError: naming the file, for anything but a readable PCM WAV
            with a positive sample rate.

    Example:
    ```python
    waveform, rate = keras_mm.data.read_wav("speech.wav")
    ```
    """
    name = media if isinstance(media, str) else "<bytes>"

    def fail(reason, error=DataError):
        return error(source or name, None, f"cannot decode WAV {name!r} "
                     f"({reason})", kind="undecodable")

    try:
        with wave.open(_open(media, source), "rb") as w:
            rate, width = w.getframerate(), w.getsampwidth()
            channels, n = w.getnchannels(), w.getnframes()
            raw = w.readframes(n)
    except DataError:
        raise
    except wave.Error as e:
        unknown = str(e).startswith("unknown format")
        raise fail(e, WavFormatError if unknown else DataError) from None
    except Exception as e:  # `wave` raises RuntimeError, struct.error...
        raise fail(f"{type(e).__name__}: {e}") from None
    if rate <= 0:
        raise fail(f"sample rate {rate}")
    if channels <= 0:
        raise fail(f"{channels} channels")
    dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}.get(width)
    if dtype is None:
        raise fail(f"unsupported sample width {width}", WavFormatError)
    frame = width * channels
    if len(raw) < n * frame:
        raise fail("truncated data")
    x = np.frombuffer(raw[:n * frame], dtype).astype(np.float32)
    if width == 1:
        x = (x - 128) / 128
    else:
        x = x / 2.0 ** (8 * width - 1)
    return x.reshape(-1, channels).mean(axis=1), rate


def write_wav(path, waveform, sample_rate):
    """Writes a float waveform in [-1, 1] as 16-bit mono PCM."""
    pcm = (np.clip(waveform, -1, 1) * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())


def read_frames(path, fps=None):
    """A video as frames: a video file, an `.npy` `(T, H, W, C)` or a
    folder of images.

    A video file (mp4, webm, … decoded with PyAV; a `"#t=start,end"`
    fragment keeps that span) gives every frame at its own time, or frames
    sampled at `fps` when given.

    Returns:
        `(frames, timestamps)`: uint8 `(T, H, W, 3)` and float64 seconds
        (`t / fps`). A `.npy` may sit beside a `<name>.fps` text file.
    """
    from keras_mm.data import video_decoder

    clip_path, _, _ = video_decoder.parse_clip_media(path)
    if video_decoder.is_video_container(clip_path):
        return video_decoder.decode_frames(path, fps=fps)
    if os.path.isdir(path):
        files = sorted(f for f in glob.glob(os.path.join(path, "*"))
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise DataError(path, None, "no image frames in folder",
                            kind="undecodable")
        frames = np.stack([decode_image(f) for f in files])
    elif os.path.isfile(path):
        try:
            frames = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as e:
            raise DataError(path, None, f"cannot read frames ({e})",
                            kind="undecodable") from None
        if frames.ndim != 4:
            raise DataError(path, None, "frames must be (T, H, W, C); "
                            f"found shape {frames.shape}", kind="undecodable")
    else:
        raise FileNotFoundError(f"No such video: {path!r}")
    if fps is None:
        fps_file = os.path.splitext(path.rstrip("/"))[0] + ".fps"
        if not os.path.isfile(fps_file):
            raise ValueError(f"No frame rate for {path!r}: pass fps or "
                             f"write it to {fps_file!r}")
        with open(fps_file) as f:
            fps = float(f.read().strip())
    if not fps > 0:
        raise ValueError(f"fps must be > 0. Received: {fps}")
    return frames, np.arange(len(frames), dtype=np.float64) / fps
