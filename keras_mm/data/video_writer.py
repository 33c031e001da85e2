"""Writes frames as a real video file (mp4, webm, mkv) with PyAV.

Used to turn generated frames into the files a user would have, for
examples and tests; the codec follows the extension.
"""

import fractions
import os
import tempfile

import numpy as np

from keras_mm.data.video_decoder import import_av

# extension -> (container format, codecs to try in order, encoder options)
_FORMATS = {
    ".mp4": ("mp4", ("libx264", "mpeg4"), {"crf": "12"}),
    ".mkv": ("matroska", ("libx264", "mpeg4"), {"crf": "12"}),
    ".mov": ("mov", ("libx264", "mpeg4"), {"crf": "12"}),
    ".webm": ("webm", ("libvpx-vp9", "libvpx"),
              {"crf": "10", "b": "0", "deadline": "realtime"}),
}


def _codec(av, names):
    for name in names:
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:  # Not built into this FFmpeg.
            continue
    raise ValueError(f"This FFmpeg has none of the encoders {names}")


def write_video(path, frames, fps):
    """Writes uint8 `(T, H, W, 3)` frames (even H and W) at `fps`.

    The file appears whole or not at all (written to a temporary file,
    then renamed).

    Example:
    ```python
    frames = np.zeros((16, 32, 32, 3), "uint8")
    keras_mm.data.write_video("clip.mp4", frames, fps=8)
    ```
    """
    av = import_av(str(path))
    path = str(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"Cannot write {path!r}: the extension must be one "
                         f"of {sorted(_FORMATS)}")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError("frames must be uint8 (T, H, W, 3). Received: "
                         f"{frames.dtype} {frames.shape}")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError("frames need an even height and width (yuv420p). "
                         f"Received: {frames.shape[1:3]}")
    fmt, codecs, options = _FORMATS[ext]
    rate = fractions.Fraction(fps).limit_denominator(1001)
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(suffix=ext, dir=folder)
    os.close(handle)
    try:
        with av.open(tmp, "w", format=fmt) as container:
            stream = container.add_stream(_codec(av, codecs), rate=rate)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.options = dict(options)
            for index, pixels in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = index
                frame.time_base = 1 / rate
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))  # Flush the encoder.
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
