"""Dual-tower fusion: text queries attend to vision keys and values."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class CrossAttentionFusion(keras.layers.Layer):
    """Pre-norm cross-attention from query tokens to context tokens + MLP.

    Each query token (text) attends to every valid context token (image
    patches); the attended values are added back to the query (residual),
    then an optional MLP block with its own residual follows. Query and
    context widths may differ: keys and values are projected to the query
    width. A query token only reads the context, never other queries, so
    padded query positions cannot change real ones.

    Args:
        num_heads: int. Attention heads; divides the query width.
        intermediate_dim: int. MLP width; defaults to `4 * query width`.
            `0` drops the MLP block.
        dropout: float. Dropout on the attention and MLP outputs.
        activation: str. MLP activation.
        layer_norm_epsilon: float. Epsilon of the layer norms.

    Call arguments:
        query: float tensor `(batch, query_tokens, query_dim)` (text).
        context: float tensor `(batch, context_tokens, context_dim)`
            (vision).
        context_padding_mask: optional bool `(batch, context_tokens)`;
            `False` context tokens are never attended to.
        training: bool. Enables dropout.

    Returns:
        `(batch, query_tokens, query_dim)`.

    Example:
    ```python
    fusion = keras_mm.fusion.CrossAttentionFusion(num_heads=2)
    text = np.zeros((2, 8, 32), "float32")
    image = np.zeros((2, 17, 48), "float32")
    fused = fusion(text, image)  # (2, 8, 32)
    ```

    References:
        Li et al., "Align before Fuse" (ALBEF), 2021; seed 002 §2.1.
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim=None,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_heads < 1:
            raise ValueError(f"num_heads must be >= 1. Received: {num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1). Received: {dropout}")
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon

    def build(self, query_shape, context_shape):
        dim = query_shape[-1]
        if dim % self.num_heads:
            raise ValueError(
                "The query width must be divisible by num_heads. Received: "
                f"query_dim={dim}, num_heads={self.num_heads}"
            )
        self.hidden_dim = dim
        intermediate = (
            4 * dim if self.intermediate_dim is None else self.intermediate_dim
        )
        kw = dict(dtype=self.dtype_policy)
        eps = self.layer_norm_epsilon
        self.query_norm = keras.layers.LayerNormalization(
            epsilon=eps, name="query_norm", **kw)
        self.context_norm = keras.layers.LayerNormalization(
            epsilon=eps, name="context_norm", **kw)
        self.query_dense = keras.layers.Dense(dim, name="query", **kw)
        self.key_dense = keras.layers.Dense(dim, name="key", **kw)
        self.value_dense = keras.layers.Dense(dim, name="value", **kw)
        self.output_dense = keras.layers.Dense(dim, name="attention_output",
                                               **kw)
        self.dropout_layer = keras.layers.Dropout(self.dropout, **kw)
        query_shape = tuple(query_shape)
        context_shape = tuple(context_shape)
        self.query_norm.build(query_shape)
        self.context_norm.build(context_shape)
        self.query_dense.build(query_shape)
        self.key_dense.build(context_shape)
        self.value_dense.build(context_shape)
        self.output_dense.build(query_shape)
        self.use_mlp = intermediate > 0
        if self.use_mlp:
            self.mlp_norm = keras.layers.LayerNormalization(
                epsilon=eps, name="mlp_norm", **kw)
            self.mlp_in = keras.layers.Dense(
                intermediate, activation=self.activation, name="mlp_in", **kw)
            self.mlp_out = keras.layers.Dense(dim, name="mlp_out", **kw)
            self.mlp_norm.build(query_shape)
            self.mlp_in.build(query_shape)
            self.mlp_out.build(query_shape[:-1] + (intermediate,))

    def _heads(self, x):
        # (B, T, D) -> (B, T, H, D/H)
        return ops.reshape(
            x, (-1, ops.shape(x)[1], self.num_heads,
                self.hidden_dim // self.num_heads)
        )

    def call(self, query, context, context_padding_mask=None, training=None):
        q = self.query_norm(query)
        c = self.context_norm(context)
        mask = None
        if context_padding_mask is not None:
            # Padded context tokens are hidden from every query: (B,1,1,Tk).
            mask = ops.cast(context_padding_mask, "bool")[:, None, None, :]
        attended = ops.dot_product_attention(
            self._heads(self.query_dense(q)),
            self._heads(self.key_dense(c)),
            self._heads(self.value_dense(c)),
            mask=mask,
        )  # (B, Tq, H, D/H)
        attended = ops.reshape(
            attended, (-1, ops.shape(query)[1], self.hidden_dim))
        x = query + self.dropout_layer(
            self.output_dense(attended), training=training)
        if self.use_mlp:
            mlp = self.mlp_out(self.mlp_in(self.mlp_norm(x)))
            x = x + self.dropout_layer(mlp, training=training)
        return x

    def compute_output_shape(self, query_shape, context_shape):
        return query_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }
