"""WaveformPreprocessor: audio files -> AudioEncoder input, saved with it."""

import keras
import numpy as np
import pytest

from keras_mm.data.audio_files import write_audio
from keras_mm.models import WaveformPreprocessor
from keras_mm.presets import from_preset


def _tone(rate, seconds, hz=440.0):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_files_of_any_rate_and_format_become_fixed_length(tmp_path):
    write_audio(tmp_path / "long.flac", _tone(8000, 1.0), 8000)
    write_audio(tmp_path / "short.wav", _tone(16000, 0.25), 16000)
    preprocess = WaveformPreprocessor(sample_rate=16000, length=8000)
    out = preprocess([str(tmp_path / "long.flac"),
                      str(tmp_path / "short.wav"), _tone(16000, 2.0)])
    assert list(out) == ["audio"]
    audio = out["audio"]
    assert audio.shape == (3, 8000) and audio.dtype == "float32"
    np.testing.assert_allclose(audio[0], _tone(16000, 0.5), atol=2e-3)
    np.testing.assert_allclose(audio[1, :4000], _tone(16000, 0.25),
                               atol=1e-4)
    assert not audio[1, 4000:].any()  # zero-padded at the end
    np.testing.assert_allclose(audio[2], _tone(16000, 0.5))


def test_round_trips_through_keras_serialization():
    preprocess = WaveformPreprocessor(sample_rate=8000, length=4000)
    config = keras.saving.serialize_keras_object(preprocess)
    assert config["registered_name"] == "keras_mm>WaveformPreprocessor"
    again = keras.saving.deserialize_keras_object(config)
    assert isinstance(again, WaveformPreprocessor)
    assert again.get_config() == {"sample_rate": 8000, "length": 4000}
    assert again.sampling_rate == 8000


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="length must be a positive int"):
        WaveformPreprocessor(16000, 0)
    with pytest.raises(ValueError, match="mono"):
        WaveformPreprocessor(8000, 10).preprocess_one(np.zeros((2, 10)))


def test_audio_clip_tiny_reads_audio_files_and_keeps_them_after_saving(
        tmp_path):
    model = from_preset("audio-clip-tiny")
    preprocess = model.preprocessors["audio"]
    encoder = model.encoders["audio"]
    assert preprocess.get_config() == WaveformPreprocessor.for_encoder(
        encoder).get_config()
    assert preprocess.output_key in encoder.input_keys
    path = str(tmp_path / "tone.flac")
    write_audio(path, _tone(8000, 1.0), 8000)
    embedding = model.embed("audio", [path])
    assert embedding.shape == (1, 64)
    model.save(str(tmp_path / "m.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "m.keras"))
    assert isinstance(loaded.preprocessors["audio"], WaveformPreprocessor)
    np.testing.assert_allclose(loaded.embed("audio", [path]), embedding,
                               atol=1e-5)
