"""A pre-norm transformer block with a fused QKV projection."""

import keras
from keras import ops

from keras_mm import backend
from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.layers import activations
from keras_mm.layers.fused_dense import FusedDense
from keras_mm.layers.multi_head_attention import check_dropout
from keras_mm.layers.multi_head_attention import check_heads
from keras_mm.layers.multi_head_attention import key_padding_mask


@keras_mm_export
class TransformerBlock(ConstructorConfig, keras.layers.Layer):
    """Pre-LayerNorm self-attention + MLP block.

    Queries, keys and values come from one fused `Dense(3 * hidden_dim)` and
    attention runs through `keras.ops.dot_product_attention`, which each
    backend lowers to its fastest kernel.

    Under a mixed-precision policy (`mixed_bfloat16`, `mixed_float16`) the
    four projections run in the compute dtype and the rest (residual
    stream, layer norms, attention, dropout) in float32, as `torch.autocast`
    runs a transformer; the block then returns float32. The residual sum is
    never rounded to half precision, and on CPUs this split is also the
    faster one: float32 elementwise work beats half precision there, and
    the matmuls keep their bfloat16 speed.

    Args:
        hidden_dim: int. Width of the token representations.
        num_heads: int. Number of attention heads; divides `hidden_dim`.
        intermediate_dim: int. Width of the MLP's hidden layer.
        causal: bool. Whether a token may only attend to earlier tokens.
        dropout: float. Dropout on the attention and MLP outputs.
        activation: str. MLP activation: a Keras name (`"gelu"` is the
            exact GELU) or `"quick_gelu"` / `"gelu_tanh"`
            (`keras_mm.layers.activations`).
        layer_norm_epsilon: float. Epsilon of both layer norms.

    Call arguments:
        inputs: float tensor `(batch, tokens, hidden_dim)`.
        padding_mask: optional bool tensor `(batch, tokens)`; `False` keys
            are never attended to.
        training: bool. Enables dropout.
        query_index: optional int tensor `(batch,)`. When given, only that
            token of each sequence is computed past the key/value
            projection (all tokens still serve as keys and values) and
            the block returns `(batch, hidden_dim)`: exactly the row the
            full call would return there, for a fraction of the work. An
            encoder's last block uses it when only the pooled token is
            needed (the class token, or CLIP's end-of-text token).

    Example:
    ```python
    block = keras_mm.layers.TransformerBlock(64, num_heads=4,
                                             intermediate_dim=128)
    y = block(np.zeros((2, 10, 64), "float32"))  # (2, 10, 64)
    ```
    """

    def __init__(
        self,
        hidden_dim,
        num_heads,
        intermediate_dim,
        causal=False,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_heads(hidden_dim, num_heads)
        check_dropout(dropout)
        self._remember_config(locals())
        self.supports_masking = True

    @property
    def _mixed(self):
        policy = self.dtype_policy
        return policy.compute_dtype != policy.variable_dtype

    @property
    def input_dtype(self):
        # Under a mixed policy the residual stream stays in the variable
        # dtype (float32), so inputs are converted to that.
        return self.variable_dtype if self._mixed else self.compute_dtype

    def build(self, input_shape):
        dense = dict(dtype=self.dtype_policy)
        # What feeds the float32 residual stream or attention under a
        # mixed policy: computed in half precision, returned in float32.
        widened = dict(float32_output=self._mixed, **dense)
        # Norms, attention, dropout and the residual adds in float32.
        full = dict(dtype=self.dtype_policy.variable_dtype)
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="attention_norm", **full
        )
        self.qkv = FusedDense(3 * self.hidden_dim, name="qkv", **widened)
        self.attention_output = FusedDense(
            self.hidden_dim, name="attention_output", **widened
        )
        self.mlp_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="mlp_norm", **full
        )
        self.mlp_in = FusedDense(
            self.intermediate_dim,
            activation=activations.get(self.activation),
            name="mlp_in",
            **dense,
        )
        self.mlp_out = FusedDense(
            self.hidden_dim, name="mlp_out", **widened
        )
        self.dropout_layer = keras.layers.Dropout(self.dropout, **full)
        hidden_shape = tuple(input_shape[:-1]) + (self.hidden_dim,)
        self.attention_norm.build(input_shape)
        self.qkv.build(hidden_shape)
        self.attention_output.build(hidden_shape)
        self.mlp_norm.build(hidden_shape)
        self.mlp_in.build(hidden_shape)
        self.mlp_out.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))

    def call(self, inputs, padding_mask=None, training=None,
             query_index=None):
        fast = backend.native("transformer_block")
        if fast is not None and fast.supports(self, inputs):
            return fast.call(self, inputs, padding_mask, training, query_index)
        head_dim = self.hidden_dim // self.num_heads
        tokens = ops.shape(inputs)[1]
        qkv = self.qkv(self.attention_norm(inputs))  # (B, T, 3D)
        qkv = ops.reshape(qkv, (-1, tokens, 3, self.num_heads, head_dim))
        # One split, not three slices: each slice's gradient is a zeroed
        # full-size tensor (torch), and jax writes an unstack's gradient as
        # three padded copies summed (slow in bfloat16 on XLA:CPU); a
        # split's gradient is one concatenation on every backend.
        query, key, value = (
            ops.squeeze(part, axis=2) for part in ops.split(qkv, 3, axis=2))
        mask = key_padding_mask(padding_mask)
        is_causal = self.causal
        if query_index is not None:
            inputs, query, mask = self._select_query(
                inputs, query, mask, query_index, tokens)
            is_causal = False  # Folded into `mask` for the selected query.
        attended = ops.dot_product_attention(
            query, key, value, mask=mask, is_causal=is_causal
        )  # (B, Tq, H, D/H)
        attended = ops.reshape(
            attended, (-1, ops.shape(query)[1], self.hidden_dim))
        x = inputs + self.dropout_layer(
            self.attention_output(attended), training=training
        )
        mlp = self.mlp_out(self.mlp_in(self.mlp_norm(x)))
        outputs = x + self.dropout_layer(mlp, training=training)
        return outputs if query_index is None else outputs[:, 0]

    def _select_query(self, inputs, query, mask, query_index, tokens):
        """Keeps one query (and its residual row) per sequence."""
        query_index = ops.cast(query_index, "int32")
        # A one-hot contraction, not a gather: a matmul on every backend
        # and in LiteRT, and its gradient is a matmul too.
        select = ops.one_hot(query_index, tokens, dtype=inputs.dtype)
        inputs = ops.einsum("bt,btd->bd", select, inputs)[:, None]
        query = ops.einsum("bt,bthe->bhe", select, query)[:, None]
        if self.causal:
            # The selected token sees the keys up to its own position.
            allowed = ops.arange(tokens)[None, :] <= query_index[:, None]
            allowed = allowed[:, None, None, :]
            mask = allowed if mask is None else ops.logical_and(mask, allowed)
        return inputs, query, mask

    def attention_weights(self, inputs, padding_mask=None):
        """Softmax attention weights `(batch, heads, queries, keys)`.

        `call` attends through `ops.dot_product_attention`, which never
        materialises the weights; this recomputes them from the block's own
        layer norm and QKV projection, in float32, for probes and figures.

        Args:
            inputs: the block's input `(batch, tokens, hidden_dim)`.
            padding_mask: optional bool `(batch, tokens)`; `False` keys get
                zero weight.
        """
        head_dim = self.hidden_dim // self.num_heads
        tokens = ops.shape(inputs)[1]
        qkv = self.qkv(self.attention_norm(inputs))
        qkv = ops.reshape(qkv, (-1, tokens, 3, self.num_heads, head_dim))
        query = ops.transpose(qkv[:, :, 0], (0, 2, 1, 3))  # (B, H, T, d)
        key = ops.transpose(qkv[:, :, 1], (0, 2, 3, 1))  # (B, H, d, T)
        scores = ops.matmul(ops.cast(query, "float32"),
                            ops.cast(key, "float32"))
        scores = scores / (head_dim ** 0.5)
        allowed = ops.ones((tokens, tokens), "bool")
        if self.causal:
            allowed = ops.tril(allowed)
        allowed = allowed[None, None]
        if padding_mask is not None:
            allowed = ops.logical_and(
                allowed, ops.cast(padding_mask, "bool")[:, None, None, :])
        return ops.softmax(ops.where(allowed, scores, -1e9), axis=-1)

    def compute_output_shape(self, inputs_shape, padding_mask_shape=None,
                             query_index_shape=None):
        if query_index_shape is not None:
            return (inputs_shape[0], inputs_shape[-1])
        return inputs_shape
