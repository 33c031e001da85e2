"""A transformer text encoder as a functional Keras model."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    final_norm_and_pooling,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.position_embedding import PositionEmbedding


@keras_mm_export
class TextTransformerEncoder(FunctionalEncoder):
    """Transformer over token ids with learned positions.

    Args:
        vocabulary_size: int. Size of the token vocabulary.
        sequence_length: int. Maximum number of tokens.
        hidden_dim: int. Token width.
        num_layers: int. Number of transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        causal: bool. Causal self-attention (CLIP's text tower).
        pooling: str. `"eot"` (last real token), `"mean"` or `"cls"`.
        dropout: float. Dropout inside the blocks.
        activation: str. MLP activation of the blocks (`"gelu"`,
            `"quick_gelu"`, `"gelu_tanh"`).
        layer_norm_epsilon: float. Epsilon of every layer norm.
        final_layer_norm_epsilon: optional float. Epsilon of the last layer
            norm where it differs (keras-hub's CLIP: 1e-6).

    Inputs: `{"token_ids": int (batch, sequence_length),
    "padding_mask": bool (batch, sequence_length)}`.
    Outputs: `{"sequence_output", "pooled_output"}`. Padded positions never
    influence real ones.

    Example:
    ```python
    encoder = keras_mm.models.TextTransformerEncoder(
        vocabulary_size=100, sequence_length=8, hidden_dim=32,
        num_layers=1, num_heads=2)
    out = encoder({"token_ids": np.ones((2, 8), "int32"),
                   "padding_mask": np.ones((2, 8), "bool")})
    ```
    """

    input_keys = ("token_ids", "padding_mask")

    def __init__(
        self,
        vocabulary_size,
        sequence_length,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        causal=True,
        pooling="eot",
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        final_layer_norm_epsilon=None,
        dtype=None,
        **kwargs,
    ):
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        token_embedding = keras.layers.Embedding(
            vocabulary_size,
            hidden_dim,
            embeddings_initializer=keras.initializers.RandomNormal(
                stddev=0.02
            ),
            dtype=dtype,
            name="token_embedding",
        )
        position_embedding = PositionEmbedding(
            sequence_length, dtype=dtype, name="position_embedding"
        )
        blocks = transformer_blocks(
            num_layers, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, causal=causal, dropout=dropout,
            activation=activation, layer_norm_epsilon=layer_norm_epsilon,
            dtype=dtype)
        final_norm, pool = final_norm_and_pooling(
            pooling, final_layer_norm_epsilon or layer_norm_epsilon, dtype)

        # === Functional Model ===
        token_ids = keras.Input((sequence_length,), dtype="int32",
                                name="token_ids")
        padding_mask = keras.Input((sequence_length,), dtype="bool",
                                   name="padding_mask")
        x = position_embedding(token_embedding(token_ids))
        x = run_blocks(blocks, x, final_norm, padding_mask=padding_mask)
        super().__init__(
            {"token_ids": token_ids, "padding_mask": padding_mask},
            x, pool(x, padding_mask=padding_mask), locals(), dtype=dtype,
            **kwargs)

    def encode_pooled(self, inputs, training=False):
        if self.pooling == "mean" or not self.num_layers:
            return super().encode_pooled(inputs, training=training)
        padding_mask = ops.cast(inputs["padding_mask"], "bool")
        x = self.get_layer("token_embedding")(inputs["token_ids"])
        x = self.get_layer("position_embedding")(x)
        return self._pool_through_blocks(x, padding_mask, training=training)
