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


@pytest.mark.parametrize("causal", [False, True])
def test_query_index_computes_exactly_the_selected_row(causal):
    block = TransformerBlock(16, 2, 32, causal=causal)
    full = keras.ops.convert_to_numpy(block(X, padding_mask=MASK))
    index = np.array([3, 1], "int32")
    row = keras.ops.convert_to_numpy(
        block(X, padding_mask=MASK, query_index=index))
    assert row.shape == (2, 16)
    np.testing.assert_allclose(row, full[[0, 1], index], atol=1e-5)
    # A causal row ignores later tokens, a bidirectional one does not.
    later = X.copy()
    later[1, 2:] += np.random.default_rng(3).normal(size=(4, 16))
    moved = keras.ops.convert_to_numpy(
        block(later, padding_mask=MASK, query_index=index))
    assert np.allclose(moved[1], row[1], atol=1e-5) == causal


def test_query_index_gradients_match_the_full_call():
    from keras_mm.training.backend_gradients import compute_gradients

    block = TransformerBlock(16, 2, 32, causal=True)
    index = np.array([5, 2], "int32")
    block(X)
    pick = np.zeros((2, 6, 1), "float32")
    pick[0, 5] = pick[1, 2] = 1.0
    full, full_grads = compute_gradients(
        lambda: keras.ops.sum(block(X) * keras.ops.convert_to_tensor(pick)),
        block.trainable_variables)
    row, row_grads = compute_gradients(
        lambda: keras.ops.sum(block(X, query_index=index)),
        block.trainable_variables)
    np.testing.assert_allclose(row, full, rtol=1e-5)
    for a, b in zip(row_grads, full_grads):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_query_index_output_shape_when_symbolic():
    block = TransformerBlock(16, 2, 32)
    x = keras.Input((6, 16))
    index = keras.Input((), dtype="int32")
    assert tuple(block(x, query_index=index).shape) == (None, 16)


def test_mixed_precision_keeps_the_residual_stream_in_float32(tmp_path):
    from keras_mm.training.backend_gradients import compute_gradients

    mixed = TransformerBlock(16, 2, 32, causal=True, dtype="mixed_bfloat16")
    exact = TransformerBlock(16, 2, 32, causal=True)
    out = mixed(X, padding_mask=MASK)
    exact(X)
    exact.set_weights(mixed.get_weights())
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert mixed.attention_norm.compute_dtype == "float32"
    assert mixed.mlp_norm.compute_dtype == "float32"
    # The projections compute in bfloat16; what feeds attention and the
    # residual stream comes back in float32, the MLP's hidden layer not.
    assert {d.compute_dtype for d in (mixed.qkv, mixed.mlp_in,
                                      mixed.attention_output,
                                      mixed.mlp_out)} == {"bfloat16"}
    assert [d.float32_output for d in (mixed.qkv, mixed.attention_output,
                                       mixed.mlp_in, mixed.mlp_out)] == [
        True, True, False, True]
    want = keras.ops.convert_to_numpy(exact(X, padding_mask=MASK))
    got = keras.ops.convert_to_numpy(out)
    assert np.abs(got - want).max() > 1e-5  # bfloat16 matmuls ran
    np.testing.assert_allclose(got, want, atol=0.05 * np.abs(want).max())
    _, grads = compute_gradients(
        lambda: keras.ops.sum(mixed(X, padding_mask=MASK)),
        mixed.trainable_variables)
    assert all(g.dtype == np.float32 and np.isfinite(g).all() for g in grads)
    assert_round_trip(mixed, X, tmp_path, atol=1e-6)
