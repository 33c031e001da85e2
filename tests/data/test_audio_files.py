"""Audio files of any format: WAV (stdlib) and FLAC (PyAV) read alike."""

import numpy as np
import pytest

from keras_mm.data.audio_files import read_audio
from keras_mm.data.audio_files import read_audio_at_own_rate
from keras_mm.data.audio_files import resample
from keras_mm.data.audio_files import write_audio
from keras_mm.data.errors import DataError
from keras_mm.data.media import read_wav


def _tone(rate=8000, seconds=1.0, hz=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_flac_reads_back_equal_to_the_wav(tmp_path):
    tone = _tone()
    write_audio(tmp_path / "a.wav", tone, 8000)
    write_audio(tmp_path / "a.flac", tone, 8000)
    assert (tmp_path / "a.flac").read_bytes()[:4] == b"fLaC"
    wav, wav_rate = read_audio_at_own_rate(str(tmp_path / "a.wav"))
    flac, flac_rate = read_audio_at_own_rate(str(tmp_path / "a.flac"))
    assert wav_rate == flac_rate == 8000
    np.testing.assert_allclose(flac, wav, atol=1e-6)  # FLAC is lossless
    np.testing.assert_allclose(wav, read_wav(str(tmp_path / "a.wav"))[0])
    np.testing.assert_allclose(wav, tone, atol=2 / 32768)  # 16-bit


def test_resampled_on_read_and_cut_to_a_duration(tmp_path):
    write_audio(tmp_path / "a.flac", _tone(), 8000)
    up = read_audio(str(tmp_path / "a.flac"), sample_rate=16000)
    assert up.shape == (16000,) and up.dtype == "float32"
    # The last sample lies past the file's last one: extrapolated.
    np.testing.assert_allclose(up[:-1], _tone(16000)[:-1], atol=2e-3)
    first = read_audio(str(tmp_path / "a.flac"), 8000, max_duration=0.25)
    assert first.shape == (2000,)


def test_downsampling_removes_what_the_new_rate_cannot_hold():
    rate = 16000
    t = np.arange(rate) / rate
    low, high = np.sin(2 * np.pi * 500 * t), np.sin(2 * np.pi * 6000 * t)
    out = resample(low + high, rate, 8000)  # 6 kHz > 4 kHz Nyquist
    assert out.shape == (8000,)
    # Away from the ends (mirrored), only the 500 Hz tone is left; taking
    # every other sample would alias 6 kHz onto 2 kHz at full amplitude.
    np.testing.assert_allclose(out[32:-32],
                               np.sin(2 * np.pi * 500 * t[::2])[32:-32],
                               atol=1e-4)


def test_stereo_is_averaged_and_bytes_work(tmp_path):
    import av

    left, right = _tone(hz=440), _tone(hz=220)
    path = str(tmp_path / "stereo.flac")
    with av.open(path, "w") as container:
        stream = container.add_stream("flac", rate=8000)
        stream.layout = "stereo"
        pcm = (np.stack([left, right]) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16p",
                                           layout="stereo")
        frame.sample_rate, frame.pts = 8000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with open(path, "rb") as f:
        mono = read_audio(f.read(), 8000)
    np.testing.assert_allclose(mono, (left + right) / 2, atol=1e-4)


def test_missing_and_undecodable_files_name_the_file(tmp_path):
    with pytest.raises(DataError, match="missing file .*none.flac") as info:
        read_audio(str(tmp_path / "none.flac"), 8000)
    assert info.value.kind == "missing_file"
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"fLaC" + b"\xff" * 64)
    with pytest.raises(DataError, match="bad.flac") as info:
        read_audio(str(bad), 8000)
    assert info.value.kind == "undecodable"
