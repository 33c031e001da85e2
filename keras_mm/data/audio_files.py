"""Audio files of any common format -> mono float32 at a chosen rate.

WAV goes through the standard library (`keras_mm.data.read_wav`); FLAC,
MP3, Ogg, M4A and any WAV that `wave` cannot read (float, extensible)
through PyAV (`pip install 'keras_mm[video]'`). Errors are `DataError`s
naming the file, as for images.
"""

import io
import math
import os
import tempfile

import numpy as np

from keras_mm.data.errors import DataError
from keras_mm.data.media import WavFormatError
from keras_mm.data.media import read_wav
from keras_mm.data.media import write_wav
from keras_mm.data.video_decoder import import_av

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a",
                    ".aac")


def resample(waveform, rate, target):
    """Band-limited (FFT) resampling of a 1-D waveform to `target` Hz.

    Frequencies above the lower Nyquist rate are dropped, so downsampling
    does not alias (linear interpolation would). The ends are mirrored
    (point-symmetrically) before the FFT, so the edges do not ring.

    Example:
    ```python
    x16k = keras_mm.data.resample(x44k, 44100, 16000)
    ```
    """
    waveform = np.asarray(waveform, np.float32)
    if rate == target or len(waveform) == 0:
        return waveform
    # Mirror a margin that maps to a whole number of output samples.
    unit = rate // math.gcd(rate, target)
    margin = unit * math.ceil(256 / unit)
    padded = np.pad(waveform.astype(np.float64), margin, mode="reflect",
                    reflect_type="odd")  # Keeps the slope at the ends.
    n = max(int(round(len(padded) * target / rate)), 1)
    spectrum = np.fft.rfft(padded)
    out = np.zeros(n // 2 + 1, np.complex128)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    result = np.fft.irfft(out, n) * (n / len(padded))
    cut = margin * target // rate
    length = max(int(round(len(waveform) * target / rate)), 1)
    return result[cut:cut + length].astype(np.float32)


def _is_wav(media):
    if isinstance(media, (bytes, bytearray)):
        head = bytes(media[:12])
    else:
        with open(media, "rb") as f:
            head = f.read(12)
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def _decode_with_av(media, source, max_duration):
    name = media if isinstance(media, str) else "<bytes>"
    av = import_av(name)
    file = io.BytesIO(bytes(media)) if isinstance(
        media, (bytes, bytearray)) else media
    try:
        with av.open(file) as container:
            if not container.streams.audio:
                raise DataError(source or name, None,
                                f"no audio stream in {name!r}",
                                kind="undecodable")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            if not rate or rate <= 0:
                raise DataError(source or name, None, f"cannot decode audio"
                                f" {name!r} (sample rate {rate})",
                                kind="undecodable")
            limit = None if max_duration is None else int(
                np.ceil(max_duration * rate))
            chunks, total = [], 0
            resampler = None
            for frame in container.decode(stream):
                if resampler is None:  # To planar float, same rate/layout.
                    resampler = av.AudioResampler(
                        format="fltp", layout=frame.layout,
                        rate=frame.sample_rate)
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray()  # (channels, samples)
                    chunks.append(chunk.mean(axis=0))
                    total += chunk.shape[1]
                if limit is not None and total >= limit:
                    break
    except DataError:
        raise
    except Exception as e:  # FFmpeg raises many types for bad data.
        raise DataError(source or name, None, f"cannot decode audio {name!r}"
                        f" ({type(e).__name__}: {e})",
                        kind="undecodable") from None
    if not chunks:
        raise DataError(source or name, None, f"no audio in {name!r}",
                        kind="undecodable")
    waveform = np.concatenate(chunks).astype(np.float32)
    return (waveform if limit is None else waveform[:limit]), rate


def read_audio(media, sample_rate, max_duration=None, source=None):
    """Reads an audio file as mono float32 at `sample_rate`.

    Args:
        media: str (a path) or bytes (an encoded file).
        sample_rate: int. The rate to resample to.
        max_duration: float or None. Read only the first seconds.
        source: str or None. Names the record in errors.

    Returns:
        float32 `(samples,)` in [-1, 1], channels averaged.

    Raises:
        DataError: naming the file, when it is missing or undecodable.
        ImportError: a non-WAV file without PyAV installed.

    Example:
    ```python
    waveform = keras_mm.data.read_audio("speech.flac", 16000)
    ```
    """
    waveform, rate = read_audio_at_own_rate(media, max_duration, source)
    return resample(waveform, rate, int(sample_rate))


def read_audio_at_own_rate(media, max_duration=None, source=None):
    """`(waveform, rate)`: mono float32 at the file's own rate (see
    `read_audio`)."""
    if isinstance(media, os.PathLike):
        media = os.fspath(media)
    name = media if isinstance(media, str) else "<bytes>"
    if isinstance(media, str) and not os.path.isfile(media):
        raise DataError(source or media, None, f"missing file {media!r}",
                        kind="missing_file")
    try:
        wav = _is_wav(media)
    except OSError as e:
        raise DataError(source or name, None, f"cannot read {name!r} ({e})",
                        kind="undecodable") from None
    waveform = None
    if wav:
        try:
            waveform, rate = read_wav(media, source=source)
        except WavFormatError:
            # Float, extensible or 24-bit WAV: FFmpeg reads those; a
            # corrupt one stays a DataError.
            waveform = None
    if waveform is None:
        waveform, rate = _decode_with_av(media, source, max_duration)
    elif max_duration is not None:
        waveform = waveform[:int(np.ceil(max_duration * rate))]
    return waveform.astype(np.float32), rate


def write_audio(path, waveform, sample_rate):
    """Writes a mono float waveform in [-1, 1] as 16-bit audio; the
    extension picks the format (`.wav` with the standard library, `.flac`
    and others with PyAV). Written to a temporary file, then renamed.

    Example:
    ```python
    keras_mm.data.write_audio("tone.flac", np.sin(np.arange(8000) / 5), 8000)
    ```
    """
    path = str(path)
    ext = os.path.splitext(path)[1].lower()
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(suffix=ext, dir=folder)
    os.close(handle)
    try:
        if ext == ".wav":
            write_wav(tmp, waveform, sample_rate)
        else:
            _write_with_av(tmp, ext, waveform, sample_rate)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_with_av(path, ext, waveform, sample_rate):
    av = import_av(path)
    pcm = (np.clip(np.asarray(waveform, np.float32), -1, 1) * 32767).astype(
        np.int16)
    codec = {".flac": "flac", ".ogg": "libvorbis", ".mp3": "libmp3lame",
             ".opus": "libopus", ".m4a": "aac"}.get(ext)
    if codec is None:
        raise ValueError(f"Cannot write audio as {ext!r}: use one of "
                         f"{AUDIO_EXTENSIONS}")
    with av.open(path, "w") as container:
        stream = container.add_stream(codec, rate=int(sample_rate))
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16",
                                           layout="mono")
        frame.sample_rate = int(sample_rate)
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
