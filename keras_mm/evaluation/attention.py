"""Attention maps of a vision transformer's last block.

`keras_mm.layers.TransformerBlock` runs attention through the fused
`ops.dot_product_attention` and does not return the weights; its
`attention_weights` recomputes them, and this module turns them into
per-patch heat maps.
"""

import keras
import numpy as np

from keras_mm.layers.transformer_block import TransformerBlock


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float32")


def self_attention_weights(block, inputs, padding_mask=None):
    """Attention probabilities `(B, heads, queries, keys)` of one block, as
    NumPy (`TransformerBlock.attention_weights`).

    Args:
        block: a built `keras_mm.layers.TransformerBlock`.
        inputs: `(B, T, hidden_dim)`, the block's input.
        padding_mask: optional bool `(B, T)`; padded keys get weight 0.
    """
    return _numpy(block.attention_weights(inputs, padding_mask))


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
