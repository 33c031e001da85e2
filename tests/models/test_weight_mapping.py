import keras
import numpy as np
import pytest

from keras_mm.checkpoints.lazy_tensors import aligned_empty
from keras_mm.models import weight_mapping as wm
from keras_mm.models.random_init_skipped import random_init_skipped


def _built_dense():
    with random_init_skipped():
        dense = keras.layers.Dense(5)
        dense.build((None, 3))
    return dense


def test_assign_fills_a_model_built_without_random_init():
    dense = _built_dense()
    kernel = np.arange(15, dtype=np.float32).reshape(5, 3)  # torch (out, in)
    bias = np.linspace(-1, 1, 5).astype(np.float32)
    wm.assign(wm.dense("fc", dense), {"fc.weight": kernel, "fc.bias": bias},
              source="test")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.kernel), kernel.T)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.bias), bias)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="jax's CPU variables may share a host array "
                    "(immutable); torch's assign copies")
def test_tensorflow_variables_do_not_share_the_callers_array():
    dense = _built_dense()
    bias = aligned_empty((5,), "float32")  # what DLPack hands over as it is
    bias[...] = 1
    wm.assign([wm.Entry(("b",), dense.bias)], {"b": bias}, source="test")
    bias[...] = 7
    dense.bias.value.assign_add(np.full(5, 2, np.float32))  # in place
    np.testing.assert_array_equal(bias, 7)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.bias), 3)
