"""Float32 copies of mixed-precision models, and their LiteRT export."""

import keras
import numpy as np
import pytest

from keras_mm.export.float32_model import float32_copy
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch


def _mixed_tiny_clip():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        return tiny_clip(seed=0)
    finally:
        keras.config.set_dtype_policy("float32")


def _computes(model):
    return {layer.compute_dtype for layer in model._flatten_layers()}


def test_a_float32_model_is_returned_as_is():
    model = tiny_clip(seed=0)
    assert float32_copy(model) is model


def test_a_mixed_model_gets_a_float32_copy_with_its_weights():
    mixed = _mixed_tiny_clip()
    copy = float32_copy(mixed)
    assert "bfloat16" in _computes(mixed)  # the original is left alone
    assert _computes(copy) == {"float32"}
    assert keras.config.dtype_policy().name == "float32"
    exact = tiny_clip(seed=0)
    exact.set_weights(mixed.get_weights())
    batch = tiny_clip_batch(4)
    got = copy(batch, training=False)["image_embeddings"]
    want = exact(batch, training=False)["image_embeddings"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got),
                               keras.ops.convert_to_numpy(want), atol=1e-5)


@pytest.mark.skipif(keras.config.backend() != "tensorflow",
                    reason="one conversion is enough; other backends go "
                    "through the same TensorFlow subprocess")
def test_a_model_trained_in_mixed_precision_exports_to_litert(tmp_path):
    from keras_mm.export import export_litert
    from keras_mm.export.litert import LiteRTRunner

    mixed = _mixed_tiny_clip()
    paths = export_litert(mixed, str(tmp_path), modes=("float32",),
                          modalities=["image"])
    batch = tiny_clip_batch(2)
    runner = LiteRTRunner(paths["image"]["float32"])
    got = runner({"images": batch["images"]})
    want = keras.ops.convert_to_numpy(keras.ops.cast(
        mixed(batch, training=False)["image_embeddings"], "float32"))
    # The float32 export of bfloat16-trained weights: bfloat16 tolerance.
    np.testing.assert_allclose(got, want, atol=0.05)
