"""WAV and image decoders: any bad file is a DataError naming it."""

import io
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.audio_files import read_audio
from keras_mm.data.errors import DataError
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_wav


def wav_bytes(fmt_size=16, rate=8000, channels=1, width=2, frames=10):
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width,
                      channels * width, width * 8) + b"\0" * (fmt_size - 16)
    data = b"\1\0" * frames * channels
    body = (b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + b"data"
            + struct.pack("<I", len(data)) + data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_a_136_byte_fmt_chunk_with_a_bad_size_is_a_data_error(tmp_path):
    raw = bytearray(wav_bytes(fmt_size=136))
    raw[19] = 0xd5  # The chunk's size now runs past the file's end.
    path = tmp_path / "bad.wav"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"bad\.wav.*cannot decode WAV"):
        read_wav(str(path))
    assert read_wav(wav_bytes(fmt_size=136))[1] == 8000


def test_sample_rate_zero_is_refused_when_read(tmp_path):
    path = tmp_path / "zero.wav"
    path.write_bytes(wav_bytes(rate=0))
    with pytest.raises(DataError, match=r"zero\.wav.*sample rate 0"):
        read_wav(str(path))
    with pytest.raises(DataError, match="sample rate 0"):
        read_audio(str(path), 16000)


def test_an_odd_data_length_is_cut_to_whole_frames():
    raw = wav_bytes(frames=4)
    raw = raw[:4] + struct.pack("<I", len(raw) - 7) + raw[8:-5] + b"\0"
    with pytest.raises(DataError, match="truncated data"):
        read_wav(raw)


def _mutations(base):
    return st.tuples(
        st.lists(st.tuples(st.integers(0, len(base) - 1),
                           st.integers(0, 255)), max_size=6),
        st.integers(12, len(base)))


WAV = wav_bytes(fmt_size=136)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_mutations(WAV))
def test_fuzzed_wav_headers_raise_only_data_error(mutation):
    changes, length = mutation
    raw = bytearray(WAV)
    for at, value in changes:
        raw[at] = value
    try:
        waveform, rate = read_wav(bytes(raw[:length]))
    except DataError as e:
        assert e.reason
        return
    assert rate > 0 and np.all(np.isfinite(waveform))


def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.full((4, 4, 3), 9, np.uint8)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_mutations(PNG))
def test_fuzzed_images_raise_only_data_error(mutation):
    changes, length = mutation
    raw = bytearray(PNG)
    for at, value in changes:
        raw[at] = value
    try:
        image = decode_image(bytes(raw[:length]), source="m.csv, line 2")
    except DataError as e:
        assert str(e).startswith("m.csv, line 2: cannot decode image")
        return
    assert image.dtype == np.uint8 and image.shape[-1] == 3
