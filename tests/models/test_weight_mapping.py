import keras
import numpy as np

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


