import keras
import numpy as np

from keras_mm.models.wav2vec2 import TimeNormalization


def test_matches_a_float64_group_norm_on_long_inputs():
    # A long time axis with an offset: where a naive float32 sum drifts.
    rng = np.random.default_rng(0)
    x = (3.0 + 4.0 * rng.normal(size=(2, 8000, 4))).astype("float32")
    norm = TimeNormalization()
    norm.build(x.shape)
    norm.gamma.assign(np.array([1.0, 2.0, 0.5, -1.0], "float32"))
    norm.beta.assign(np.array([0.0, 0.1, -0.2, 0.3], "float32"))
    x64 = x.astype("float64")
    mean = x64.mean(axis=1, keepdims=True)
    variance = x64.var(axis=1, keepdims=True)
    expected = (x64 - mean) / np.sqrt(variance + 1e-5)
    expected = expected * [1.0, 2.0, 0.5, -1.0] + [0.0, 0.1, -0.2, 0.3]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)),
                               expected, atol=2e-5)


def test_config_round_trip():
    norm = TimeNormalization(epsilon=1e-3, name="norm")
    clone = TimeNormalization.from_config(norm.get_config())
    assert clone.epsilon == 1e-3 and clone.name == "norm"
