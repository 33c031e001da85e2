import keras
import numpy as np

from keras_mm.models.whisper import WhisperAudioEncoder

KWARGS = dict(num_mel_bins=8, max_source_positions=6, hidden_dim=16,
              num_layers=2, num_heads=2, intermediate_dim=24)


def _inputs():
    rng = np.random.default_rng(0)
    return {"input_features": rng.normal(size=(2, 8, 12)).astype("float32")}


def test_output_shapes_and_mean_pooling():
    encoder = WhisperAudioEncoder(**KWARGS)
    outputs = encoder(_inputs())
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    assert sequence.shape == (2, 6, 16)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(outputs["pooled_output"]),
        sequence.mean(axis=1), atol=1e-6)


def test_config_and_keras_file_round_trip(tmp_path):
    encoder = WhisperAudioEncoder(**KWARGS)
    clone = WhisperAudioEncoder.from_config(encoder.get_config())
    assert clone.get_config() == encoder.get_config()
    path = str(tmp_path / "whisper.keras")
    encoder.save(path)
    reloaded = keras.saving.load_model(path)
    assert isinstance(reloaded, WhisperAudioEncoder)
    for key, value in encoder(_inputs()).items():
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(reloaded(_inputs())[key]),
            keras.ops.convert_to_numpy(value), atol=1e-6)
