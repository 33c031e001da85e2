import keras
import numpy as np
import pytest

from keras_mm.checkpoints.lazy_tensors import aligned_empty
from keras_mm.models import weight_mapping as wm

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "tensorflow",
    reason="jax's CPU variables may share a host array (immutable); "
    "torch's assign copies")


def test_tensorflow_variables_do_not_share_the_callers_array():
    dense = keras.layers.Dense(5)
    dense.build((None, 3))
    bias = aligned_empty((5,), "float32")  # what DLPack hands over as it is
    bias[...] = 1
    wm.assign([wm.Entry(("b",), dense.bias)], {"b": bias}, source="test")
    bias[...] = 7
    dense.bias.value.assign_add(np.full(5, 2, np.float32))  # in place
    np.testing.assert_array_equal(bias, 7)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.bias), 3)
