"""Dual-tower fusion: text queries attend to vision keys and values."""

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.layers.multi_head_attention import check_dropout
from keras_mm.layers.multi_head_attention import check_heads
from keras_mm.layers.multi_head_attention import multi_head_attention


@keras_mm_export
class CrossAttentionFusion(ConstructorConfig, keras.layers.Layer):
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
        Li et al., "Align before Fuse" (ALBEF), 2021.
    """

    def __init__(self, num_heads, intermediate_dim=None, dropout=0.0,
                 activation="gelu", layer_norm_epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if num_heads < 1:
            raise ValueError(f"num_heads must be >= 1. Received: {num_heads}")
        check_dropout(dropout)
        self._remember_config(locals())

    def build(self, query_shape, context_shape):
        dim = query_shape[-1]
        check_heads(dim, self.num_heads)  # The query width is the model's.
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

    def call(self, query, context, context_padding_mask=None, training=None):
        q = self.query_norm(query)
        c = self.context_norm(context)
        attended = multi_head_attention(
            self.query_dense(q), self.key_dense(c), self.value_dense(c),
            self.num_heads, context_padding_mask)
        x = query + self.dropout_layer(
            self.output_dense(attended), training=training)
        if self.use_mlp:
            mlp = self.mlp_out(self.mlp_in(self.mlp_norm(x)))
            x = x + self.dropout_layer(mlp, training=training)
        return x

    def compute_output_shape(self, query_shape, context_shape):
        return query_shape
