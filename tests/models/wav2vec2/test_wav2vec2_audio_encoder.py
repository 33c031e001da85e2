import keras
import numpy as np
import pytest

from keras_mm.models.wav2vec2 import Wav2Vec2AudioEncoder

KWARGS = dict(conv_dims=(8, 8), conv_kernels=(10, 3), conv_strides=(5, 2),
              hidden_dim=16, num_layers=2, num_heads=2, intermediate_dim=24,
              num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2)


def _inputs():
    rng = np.random.default_rng(0)
    return {"input_values": rng.normal(size=(2, 400)).astype("float32")}


@pytest.mark.parametrize("pre_norm", [False, True])
def test_output_shapes_and_mean_pooling(pre_norm):
    encoder = Wav2Vec2AudioEncoder(**KWARGS, pre_norm=pre_norm,
                                   feature_norm="layer" if pre_norm
                                   else "group")
    outputs = encoder(_inputs())
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    assert sequence.shape == (2, 39, 16)  # (400 - 10) / 5 + 1 = 79 -> 39
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(outputs["pooled_output"]),
        sequence.mean(axis=1), atol=1e-6)


def test_config_and_keras_file_round_trip(tmp_path):
    encoder = Wav2Vec2AudioEncoder(**KWARGS)
    clone = Wav2Vec2AudioEncoder.from_config(encoder.get_config())
    assert clone.get_config() == encoder.get_config()
    path = str(tmp_path / "wav2vec2.keras")
    encoder.save(path)
    reloaded = keras.saving.load_model(path)
    assert isinstance(reloaded, Wav2Vec2AudioEncoder)
    for key, value in encoder(_inputs()).items():
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(reloaded(_inputs())[key]),
            keras.ops.convert_to_numpy(value), atol=1e-6)


def test_bad_feature_norm_is_one_line():
    with pytest.raises(ValueError, match="feature_norm must be one of"):
        Wav2Vec2AudioEncoder(**KWARGS, feature_norm="batch")
