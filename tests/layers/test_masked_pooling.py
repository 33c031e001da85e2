import keras
import numpy as np
import pytest

from keras_mm.layers import MaskedPooling
from keras_mm.testing import assert_round_trip

X = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


MASK = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)


@pytest.mark.parametrize("mode", ["cls", "mean", "eot"])
def test_round_trip(tmp_path, mode):
    assert_round_trip(MaskedPooling(mode), X, tmp_path)


def test_modes_against_numpy_and_padding_is_ignored():
    noisy = X.copy()
    noisy[0, 2:] = 1e6  # Values under the padding must not matter.
    mean = _numpy(MaskedPooling("mean")(noisy, padding_mask=MASK))
    np.testing.assert_allclose(mean[0], X[0, :2].mean(0))
    np.testing.assert_allclose(mean[1], X[1].mean(0))
    eot = _numpy(MaskedPooling("eot")(noisy, padding_mask=MASK))
    np.testing.assert_allclose(eot, np.stack([X[0, 1], X[1, 3]]))
    cls = _numpy(MaskedPooling("cls")(noisy, padding_mask=MASK))
    np.testing.assert_allclose(cls, X[:, 0])
    with pytest.raises(ValueError, match="mode"):
        MaskedPooling("max")


def test_pooled_index_names_the_token_each_mode_pools():
    x = np.zeros((3, 5, 2), "float32")
    mask = np.arange(5)[None] < np.array([[2], [5], [0]])
    index = {
        mode: MaskedPooling(mode).pooled_index(x, mask)
        for mode in ("cls", "eot", "mean")
    }
    assert index["mean"] is None
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(index["cls"]), [0, 0, 0])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(index["eot"]), [1, 4, 0])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(MaskedPooling("eot").pooled_index(x)),
        [4, 4, 4])
