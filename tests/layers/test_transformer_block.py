import keras
import numpy as np
import pytest

from keras_mm.layers import TransformerBlock
from keras_mm.testing import assert_round_trip

X = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
MASK = np.array([[1, 1, 1, 1, 0, 0], [1] * 6], bool)


@pytest.mark.parametrize("causal", [False, True])
def test_round_trip(tmp_path, causal):
    assert_round_trip(TransformerBlock(16, 2, 32, causal=causal), X,
                      tmp_path, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_padded_positions_change_no_real_output(causal):
    block = TransformerBlock(16, 2, 32, causal=causal)
    out = keras.ops.convert_to_numpy(block(X, padding_mask=MASK))
    noisy = X.copy()
    noisy[0, 4:] = 100.0
    got = keras.ops.convert_to_numpy(block(noisy, padding_mask=MASK))
    np.testing.assert_allclose(got[MASK], out[MASK], atol=1e-5)
    if not causal:  # (Causal queries never see trailing padding anyway.)
        # Without the mask the padded values leak in: the test has teeth.
        leaked = keras.ops.convert_to_numpy(block(noisy))
        assert not np.allclose(leaked[0, :4], out[0, :4], atol=1e-3)


def test_causal_attention_ignores_the_future():
    block = TransformerBlock(16, 2, 32, causal=True)
    out = keras.ops.convert_to_numpy(block(X))
    changed = X.copy()
    changed[:, 3:] += 5.0
    got = keras.ops.convert_to_numpy(block(changed))
    np.testing.assert_allclose(got[:, :3], out[:, :3], atol=1e-5)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="divisible"):
        TransformerBlock(15, 2, 32)
    with pytest.raises(ValueError, match="dropout"):
        TransformerBlock(16, 2, 32, dropout=1.0)
