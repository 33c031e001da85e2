import keras
import numpy as np
import pytest

from keras_mm.layers import PatchEmbedding

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "torch",
    reason="only torch projects the patches as a matmul")


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_matmul_projection_equals_the_convolution(monkeypatch, dtype):
    from keras_mm.backend.torch import patch_embedding
    from keras_mm.training.backend_gradients import compute_gradients

    layer = PatchEmbedding(16, 4, 8, dtype=dtype)
    images = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype(
        "float32")
    layer.build(images.shape)
    assert patch_embedding.supports(layer)

    def tokens_and_gradients():
        value, grads = compute_gradients(
            lambda: keras.ops.sum(keras.ops.square(keras.ops.cast(
                layer(images), "float32"))), layer.trainable_variables)
        out = layer(images)
        return keras.backend.standardize_dtype(out.dtype), [
            np.asarray(keras.ops.convert_to_numpy(
                keras.ops.cast(out, "float32"))), value, *grads]

    dtype_fast, fast = tokens_and_gradients()
    monkeypatch.setattr(patch_embedding, "supports", lambda layer: False)
    dtype_conv, conv = tokens_and_gradients()
    assert dtype_fast == dtype_conv == layer.compute_dtype
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    for a, b in zip(fast, conv):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)
