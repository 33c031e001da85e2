import keras
import numpy as np
import pytest

from keras_mm.fusion import GatedFusion
from keras_mm.testing import assert_round_trip


def _data():
    rng = np.random.default_rng(2)
    return (rng.normal(size=(4, 16)).astype("float32"),
            rng.normal(size=(4, 8)).astype("float32"))


def test_weights_readable_after_call():
    a, b = _data()
    layer = GatedFusion(12)
    fused = keras.ops.convert_to_numpy(layer([a, b]))
    weights = keras.ops.convert_to_numpy(layer.modality_weights)
    assert fused.shape == (4, 12)
    assert weights.shape == (4, 2)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    # The output is exactly the weighted sum of the projections.
    pa = keras.ops.convert_to_numpy(layer.projections[0](a))
    pb = keras.ops.convert_to_numpy(layer.projections[1](b))
    expected = weights[:, :1] * pa + weights[:, 1:] * pb
    np.testing.assert_allclose(fused, expected, atol=1e-5)
    _, returned = layer([a, b], return_weights=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(returned), weights,
                               atol=1e-6)


def test_weights_are_per_sample_and_learnable():
    a, b = _data()
    layer = GatedFusion(12)
    layer([a, b])
    kernel = np.zeros(layer.gate.kernel.shape, "float32")
    kernel[0, 0] = 5.0  # the gate reads the first feature of modality 0
    layer.gate.kernel.assign(kernel)
    _, weights = layer([a, b], return_weights=True)
    weights = keras.ops.convert_to_numpy(weights)
    assert np.ptp(weights[:, 0]) > 0.1
    assert np.all((weights[:, 0] > 0.5) == (a[:, 0] > 0))


def test_config_and_round_trip(tmp_path):
    a, b = _data()
    layer = GatedFusion(12, temperature=0.5, name="gate")
    assert GatedFusion.from_config(layer.get_config()).get_config() == (
        layer.get_config())
    ia, ib = keras.Input((16,)), keras.Input((8,))
    model = keras.Model([ia, ib], layer([ia, ib], return_weights=True))
    assert_round_trip(model, [a, b], tmp_path)


def test_needs_two_modalities():
    with pytest.raises(ValueError, match="two modalities"):
        GatedFusion(4)([np.ones((2, 3), "float32")])
