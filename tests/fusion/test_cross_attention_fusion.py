import keras
import numpy as np
import pytest

from keras_mm.fusion import CrossAttentionFusion
from keras_mm.testing import assert_round_trip


def _data(seed=0):
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(2, 6, 16)).astype("float32")
    image = rng.normal(size=(2, 5, 24)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    image_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    return text, image, mask, image_mask


def test_shape_and_residual():
    text, image, _, _ = _data()
    layer = CrossAttentionFusion(num_heads=2, intermediate_dim=32)
    out = keras.ops.convert_to_numpy(layer(text, image))
    assert out.shape == text.shape
    # Zeroing the output projections and MLP leaves the residual path.
    for dense in (layer.output_dense, layer.mlp_out):
        dense.kernel.assign(np.zeros(dense.kernel.shape, "float32"))
        dense.bias.assign(np.zeros(dense.bias.shape, "float32"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(text, image)), text, atol=1e-6)


def test_text_attends_to_vision():
    text, image, _, _ = _data()
    layer = CrossAttentionFusion(num_heads=2, intermediate_dim=0)
    a = keras.ops.convert_to_numpy(layer(text, image))
    other = _data(seed=1)[1]  # LayerNorm ignores an affine change
    b = keras.ops.convert_to_numpy(layer(text, other))
    assert np.abs(a - b).max() > 1e-3


def test_padded_positions_change_no_output():
    text, image, mask, image_mask = _data()
    layer = CrossAttentionFusion(num_heads=2)
    out = keras.ops.convert_to_numpy(
        layer(text, image, context_padding_mask=image_mask))
    text2, image2 = text.copy(), image.copy()
    text2[~mask] = 99.0
    image2[~image_mask] = -50.0
    out2 = keras.ops.convert_to_numpy(
        layer(text2, image2, context_padding_mask=image_mask))
    np.testing.assert_allclose(out2[mask], out[mask], atol=1e-5)


def test_config_and_round_trip(tmp_path):
    text, image, _, image_mask = _data()
    layer = CrossAttentionFusion(num_heads=4, intermediate_dim=8,
                                 name="xattn")
    clone = CrossAttentionFusion.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    q = keras.Input((6, 16))
    c = keras.Input((5, 24))
    m = keras.Input((5,), dtype="bool")
    model = keras.Model([q, c, m], layer(q, c, context_padding_mask=m))
    assert_round_trip(model, [text, image, image_mask], tmp_path)


def test_rejects_bad_heads():
    with pytest.raises(ValueError, match="divisible"):
        CrossAttentionFusion(num_heads=3)(np.zeros((1, 2, 16), "float32"),
                                          np.zeros((1, 2, 8), "float32"))
