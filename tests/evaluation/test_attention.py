import keras
import numpy as np

from keras_mm.evaluation.attention import attention_heatmaps
from keras_mm.evaluation.attention import last_block
from keras_mm.evaluation.attention import last_block_attention
from keras_mm.evaluation.attention import self_attention_weights
from keras_mm.layers.transformer_block import TransformerBlock


def _block_output_from_weights(block, x, weights, mask=None):
    # Rebuilds the block's output from our attention weights; it matches
    # the layer only if the weights are the ones the layer used.
    qkv = keras.ops.convert_to_numpy(block.qkv(block.attention_norm(x)))
    b, t = qkv.shape[:2]
    value = qkv.reshape(b, t, 3, block.num_heads, -1)[:, :, 2]
    value = value.transpose(0, 2, 1, 3)  # (B, H, T, D/H)
    attended = (weights @ value).transpose(0, 2, 1, 3).reshape(b, t, -1)
    h = x + keras.ops.convert_to_numpy(block.attention_output(attended))
    mlp = block.mlp_out(block.mlp_in(block.mlp_norm(h)))
    return h + keras.ops.convert_to_numpy(mlp)


def test_weights_reproduce_the_block_output():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 16)).astype("float32")
    mask = np.ones((2, 7), bool)
    mask[1, 5:] = False
    for causal in (False, True):
        block = TransformerBlock(16, 2, 32, causal=causal)
        expected = keras.ops.convert_to_numpy(block(x, padding_mask=mask))
        weights = self_attention_weights(block, x, padding_mask=mask)
        assert weights.shape == (2, 2, 7, 7)
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
        assert np.all(weights[1, :, :, 5:] == 0)
        rebuilt = _block_output_from_weights(block, x, weights)
        # Padded query rows are not used downstream; compare real ones.
        np.testing.assert_allclose(rebuilt[0], expected[0], atol=1e-4)
        np.testing.assert_allclose(rebuilt[1, :5], expected[1, :5],
                                   atol=1e-4)


def test_last_block_maps_of_the_image_encoder(tiny_model, tiny_pairs):
    encoder = tiny_model.encoders["image"]
    images = tiny_pairs["images"][:3].astype("float32")
    weights = last_block_attention(encoder, images)
    assert last_block(encoder).name == "block_1"
    assert weights.shape == (3, 2, 17, 17)  # 16 patches + class token.
    maps = attention_heatmaps(encoder, images)
    assert maps.shape == (3, 4, 4)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-5)
    assert not np.allclose(maps[0], maps[1])
