import keras
import numpy as np

from keras_mm.backend.numpy_outputs import to_numpy_tree


def test_to_numpy_tree_converts_every_tensor_and_keeps_the_structure():
    outputs = {"a": keras.ops.ones((2, 3)),
               "b": [keras.ops.zeros((1,), "int32"), np.float32(2.0)]}
    result = to_numpy_tree(outputs)
    assert set(result) == {"a", "b"} and len(result["b"]) == 2
    assert all(isinstance(x, np.ndarray)
               for x in (result["a"], *result["b"]))
    np.testing.assert_array_equal(result["a"], np.ones((2, 3)))
    assert result["b"][0].dtype == np.int32
    assert result["b"][1] == 2.0
