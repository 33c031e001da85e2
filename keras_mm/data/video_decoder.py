"""Frames of real video files (mp4, webm, mkv…) at given times, with PyAV.

PyAV (FFmpeg) is an optional dependency: `pip install 'keras_mm[video]'`.
A clip of a video is written as a W3C media fragment, `"path.mp4#t=1.5,4"`
(seconds), so it travels through manifests and `tf.string` tensors as a
plain string; `parse_clip_media` splits it again.

Every decoder raises `DataError` (kind `"missing_file"` or `"undecodable"`)
naming the file, so pipelines can raise or skip with one rule.
"""

import collections
import io
import os
import re

import numpy as np

from keras_mm.data.errors import DataError
from keras_mm.dependency_error import MissingDependencyError

INSTALL_HINT = "pip install 'keras_mm[video]'"
VIDEO_EXTENSIONS = (".mp4", ".webm", ".mkv", ".mov", ".avi", ".m4v")

VideoInfo = collections.namedtuple(
    "VideoInfo", "duration fps num_frames width height")

_NUMBER = r"\d+(?:\.\d*)?"
_FRAGMENT = re.compile(
    rf"^(?P<path>.+)#t=(?P<start>{_NUMBER})?(?:,(?P<end>{_NUMBER}))?$")


def import_av(path=None):
    """PyAV, or a `MissingDependencyError` saying how to install it."""
    try:
        import av
    except ImportError:
        what = f"Decoding {path!r}" if path else "Decoding media files"
        raise MissingDependencyError(
            f"{what} needs PyAV: {INSTALL_HINT}") from None
    return av


def clip_media(path, start, end):
    """`("a.mp4", 1.5, 4)` -> `"a.mp4#t=1.500,4.000"` (a clip's media).

    Example:
    ```python
    keras_mm.data.clip_media("talk.mp4", 12.0, 15.5)
    # 'talk.mp4#t=12.000,15.500'
    ```
    """
    if not 0 <= start <= end:
        raise ValueError(f"A clip needs 0 <= start <= end. Received: "
                         f"start={start}, end={end}")
    return f"{path}#t={start:.3f},{end:.3f}"


def parse_clip_media(media):
    """`"a.mp4#t=1.5,4"` -> `("a.mp4", 1.5, 4.0)`; no fragment: `(media,
    None, None)`. `#t=1.5` (to the end) and `#t=,4` (from 0) work too.

    Example:
    ```python
    keras_mm.data.parse_clip_media("talk.mp4#t=12,15.5")
    # ('talk.mp4', 12.0, 15.5)
    ```
    """
    match = _FRAGMENT.match(media) if isinstance(media, str) else None
    if not match or (match["start"] is None and match["end"] is None):
        return media, None, None
    start = float(match["start"]) if match["start"] else 0.0
    end = float(match["end"]) if match["end"] else None
    return match["path"], start, end


def is_video_container(path):
    """True for a file PyAV should decode (not `.npy` frames, not a
    folder): judged by its first bytes, not its name."""
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return not f.read(6).startswith(b"\x93NUMPY")


def _name(media):
    return media if isinstance(media, str) else "<bytes>"


def _open(media, source):
    """An open PyAV container and its first video stream."""
    av = import_av(_name(media))
    if isinstance(media, (bytes, bytearray)):
        media = io.BytesIO(bytes(media))
    elif not os.path.isfile(media):
        raise DataError(source or media, None, f"missing file {media!r}",
                        kind="missing_file")
    try:
        container = av.open(media)
    except Exception as e:  # FFmpeg raises many types for bad data.
        raise DataError(source or _name(media), None, "cannot decode video "
                        f"{_name(media)!r} ({type(e).__name__}: {e})",
                        kind="undecodable") from None
    if not container.streams.video:
        container.close()
        raise DataError(source or _name(media), None,
                        f"no video stream in {_name(media)!r}",
                        kind="undecodable")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return container, stream


def _info(container, stream):
    fps = float(stream.average_rate or stream.guessed_rate or 0) or None
    if stream.duration is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000  # AV_TIME_BASE units.
    else:
        duration = None
    return VideoInfo(duration, fps, stream.frames or None,
                     stream.codec_context.width, stream.codec_context.height)


def probe_video(media, source=None):
    """`VideoInfo(duration, fps, num_frames, width, height)` of a video
    file (path or bytes), from its header (no decoding). Fields the
    container does not record are None.

    Example:
    ```python
    info = keras_mm.data.probe_video("talk.mp4")
    info.duration, info.fps  # (12.0, 25.0)
    ```
    """
    container, stream = _open(media, source)
    with container:
        return _info(container, stream)


def _size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, int):
        return (image_size, image_size)
    return tuple(int(s) for s in image_size)


def _to_rgb(frame, size):
    if size is None:
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(format="rgb24", width=size[1], height=size[0],
                            interpolation="BILINEAR")


def decode_frames(media, times=None, fps=None, start=0.0, end=None,
                  image_size=None, source=None):
    """Decodes frames of a video file at given times or at a fixed rate.

    The frame at time `t` is the one on screen then: the last frame whose
    presentation time is `<= t` (the first frame for earlier `t`, the last
    for later). Decoding seeks to the keyframe before the first time and
    stops after the last, so a short clip of a long video is cheap.

    Args:
        media: str (a path; a `"#t=start,end"` fragment sets `start` and
            `end`) or bytes (an encoded file, e.g. from a tar shard).
        times: seconds, any order; the frames come back in that order.
        fps: float. Without `times`: sample `start, start + 1/fps, …`
            before `end`. With neither, every frame in `[start, end)`.
        start: float. Seconds (without `times`).
        end: float or None. Seconds (None: the end of the video).
        image_size: int `S` (-> `S × S`), `(height, width)` or None (the
            video's own size). Resized bilinearly by FFmpeg.
        source: str or None. Names the record in errors.

    Returns:
        `(frames, timestamps)`: uint8 `(T, H, W, 3)` and float64 `(T,)`
        (the requested times, or each frame's own time).

    Raises:
        DataError: naming the file, when it is missing or undecodable.
        ImportError: when PyAV is not installed.

    Example:
    ```python
    frames, t = keras_mm.data.decode_frames("talk.mp4", times=[0.5, 2.0],
                                            image_size=224)
    frames.shape  # (2, 224, 224, 3)
    ```
    """
    if isinstance(media, str):
        media, clip_start, clip_end = parse_clip_media(media)
        if clip_start is not None:
            start, end = clip_start, clip_end if end is None else end
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be > 0. Received: fps={fps}")
    size = _size(image_size)
    container, stream = _open(media, source)
    try:
        with container:
            if times is None and fps is not None:
                if end is None:
                    end = _info(container, stream).duration
                if end is None:
                    raise DataError(source or _name(media), None,
                                    "the video records no duration; pass "
                                    "end", kind="undecodable")
                count = max(int(np.ceil((end - start) * fps - 1e-9)), 1)
                times = start + np.arange(count) / fps
            if times is None:
                return _every_frame(container, stream, start, end, size)
            return _frames_at(container, stream, np.asarray(
                times, np.float64).reshape(-1), size)
    except DataError:
        raise
    except Exception as e:  # FFmpeg raises many types for bad data.
        raise DataError(source or _name(media), None, "cannot decode video "
                        f"{_name(media)!r} ({type(e).__name__}: {e})",
                        kind="undecodable") from None


def _seek(container, stream, seconds):
    # Land on the keyframe before `seconds` (1 s earlier, as some demuxers
    # land slightly late); the decoder then walks forward to it.
    if seconds > 1.0:
        container.seek(int((seconds - 1.0) / stream.time_base),
                       stream=stream, backward=True)


def _frame_time(frame, index, stream):
    if frame.time is not None:
        return float(frame.time)
    rate = float(stream.average_rate or stream.guessed_rate or 1)
    return index / rate


def _frames_at(container, stream, times, size):
    if times.size == 0:
        raise ValueError("times is empty")
    if not np.isfinite(times).all():
        raise ValueError(f"times must be finite. Received: {times}")
    order = np.argsort(times, kind="stable")
    out = [None] * len(times)
    next_k = 0  # Index into `order` of the next time to fill.
    _seek(container, stream, float(times[order[0]]))
    shown, shown_rgb = None, None  # The frame on screen, its pixels.

    def pixels():
        nonlocal shown_rgb
        if shown_rgb is None:
            shown_rgb = _to_rgb(shown, size)
        return shown_rgb

    for index, frame in enumerate(container.decode(stream)):
        t = _frame_time(frame, index, stream)
        while next_k < len(order) and times[order[next_k]] < t:
            if shown is None:  # Before the first frame: show the first.
                shown = frame
            out[order[next_k]] = pixels()
            next_k += 1
        if next_k == len(order):
            break
        shown, shown_rgb = frame, None
    if shown is None:
        raise DataError(_name(container.name), None, "no frames decoded",
                        kind="undecodable")
    for k in order[next_k:]:
        out[k] = pixels()
    return np.stack(out), times


def _every_frame(container, stream, start, end, size):
    _seek(container, stream, start)
    frames, stamps = [], []
    for index, frame in enumerate(container.decode(stream)):
        t = _frame_time(frame, index, stream)
        if end is not None and t >= end:
            break
        if t + 1e-9 >= start:
            frames.append(_to_rgb(frame, size))
            stamps.append(t)
    if not frames:
        raise DataError(_name(container.name), None,
                        f"no frames in [{start}, {end}) s",
                        kind="undecodable")
    return np.stack(frames), np.asarray(stamps, np.float64)
