"""TransformerBlock.attention_weights: the weights the block attends with."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_mm.layers.transformer_block import TransformerBlock


@pytest.mark.parametrize("causal", [False, True])
def test_weights_reproduce_block_output(causal):
    keras.utils.set_random_seed(0)
    block = TransformerBlock(16, 2, 32, causal=causal)
    x = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    expected = ops.convert_to_numpy(block(x, padding_mask=mask))
    w = block.attention_weights(x, mask)  # (B, H, T, T)
    w_np = ops.convert_to_numpy(w)
    np.testing.assert_allclose(w_np.sum(-1), 1.0, atol=1e-5)
    assert np.all(w_np[0, :, :, 4:] < 1e-6)  # padding keys
    if causal:
        assert np.all(np.triu(w_np[1, 0], 1) < 1e-6)
    # attention = weights @ values, then the rest of the block.
    qkv = block.qkv(block.attention_norm(x))
    value = ops.transpose(ops.reshape(qkv, (2, 6, 3, 2, 8))[:, :, 2],
                          (0, 2, 1, 3))
    attended = ops.reshape(ops.transpose(ops.matmul(w, value), (0, 2, 1, 3)),
                           (2, 6, 16))
    h = ops.add(x, block.attention_output(attended))
    out = h + block.mlp_out(block.mlp_in(block.mlp_norm(h)))
    np.testing.assert_allclose(ops.convert_to_numpy(out), expected,
                               atol=1e-5)
