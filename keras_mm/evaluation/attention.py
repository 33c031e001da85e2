"""Attention maps of a vision transformer's last block.

`keras_mm.layers.TransformerBlock` runs attention through the fused
`ops.dot_product_attention` and does not return the weights, so they are
recomputed here from the block's own layer norm and fused QKV projection:
`softmax(q kᵀ / sqrt(head_dim))` per head.
"""

import keras
import numpy as np

from keras_mm.layers.transformer_block import TransformerBlock


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float32")


def _split_heads(block, inputs):
    qkv = _numpy(block.qkv(block.attention_norm(inputs)))  # (B, T, 3D)
    batch, tokens = qkv.shape[:2]
    head_dim = block.hidden_dim // block.num_heads
    qkv = qkv.reshape(batch, tokens, 3, block.num_heads, head_dim)
    # Each (B, H, T, D/H).
    return [qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3)]


def self_attention_weights(block, inputs, padding_mask=None):
    """Attention probabilities `(B, heads, queries, keys)` of one block.

    Args:
        block: a built `keras_mm.layers.TransformerBlock`.
        inputs: `(B, T, hidden_dim)`, the block's input.
        padding_mask: optional bool `(B, T)`; padded keys get weight 0.
    """
    query, key, _ = _split_heads(block, inputs)
    scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(query.shape[-1])
    tokens = scores.shape[-1]
    allowed = np.ones(scores.shape, bool)
    if padding_mask is not None:
        allowed &= np.asarray(padding_mask, bool)[:, None, None, :]
    if block.causal:
        allowed &= np.tril(np.ones((tokens, tokens), bool))
    scores = np.where(allowed, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def last_block(encoder):
    """The last `TransformerBlock` of an encoder."""
    blocks = [layer for layer in encoder.layers
              if isinstance(layer, TransformerBlock)]
    if not blocks:
        raise ValueError(f"{encoder.name} has no TransformerBlock.")
    return blocks[-1]


def last_block_attention(image_encoder, images):
    """Attention weights `(B, heads, T, T)` of the image encoder's last block.

    Example:
    ```python
    weights = keras_mm.evaluation.last_block_attention(
        model.encoders["image"], images)
    ```
    """
    block = last_block(image_encoder)
    feed = keras.Model(image_encoder.input, block.input)
    block_inputs = feed({"images": np.asarray(images, "float32")})
    return self_attention_weights(block, block_inputs)


def attention_heatmaps(image_encoder, images):
    """One `(grid, grid)` map per image, summed to 1 over the patches.

    With a class token the map is the class token's attention to each
    patch (averaged over heads); without one, the attention each patch
    receives, averaged over queries and heads.
    """
    weights = last_block_attention(image_encoder, images).mean(axis=1)
    grid = image_encoder.image_size // image_encoder.patch_size
    if weights.shape[-1] == grid * grid + 1:
        maps = weights[:, 0, 1:]  # (B, P): class token → patches.
    else:
        maps = weights.mean(axis=1)  # (B, P)
    maps = maps / maps.sum(axis=-1, keepdims=True)
    return maps.reshape(-1, grid, grid)
