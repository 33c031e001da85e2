"""A post-norm BERT transformer layer with separate Q, K, V projections."""

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.layers.multi_head_attention import check_heads
from keras_mm.layers.multi_head_attention import multi_head_attention


def _gelu_approximate(x):
    return keras.activations.gelu(x, approximate=True)


# Names as Hugging Face configs spell them (`hidden_act`) -> functions.
# Hugging Face's "gelu" is the exact (erf) GELU; keras-hub's BERT uses the
# tanh approximation, which Hugging Face calls "gelu_new" among others.
ACTIVATIONS = {
    "gelu": lambda x: keras.activations.gelu(x, approximate=False),
    "gelu_approximate": _gelu_approximate,
    "gelu_new": _gelu_approximate,
    "gelu_pytorch_tanh": _gelu_approximate,
    "gelu_fast": _gelu_approximate,
    "relu": keras.activations.relu,
    "silu": keras.activations.silu,
    "swish": keras.activations.silu,
}


@keras_mm_export
class BertBlock(ConstructorConfig, keras.layers.Layer):
    """Self-attention + MLP, each followed by residual add and LayerNorm.

    This is the original (post-norm) BERT layer; its weights map one to one
    onto a Hugging Face `BertLayer` and a keras-hub `TransformerEncoder`.

    Args:
        hidden_dim: int. Width of the token representations.
        num_heads: int. Attention heads; divides `hidden_dim`.
        intermediate_dim: int. Width of the MLP's hidden layer.
        activation: str. MLP activation, a key of `ACTIVATIONS`
            (`"gelu"` is exact, `"gelu_approximate"` the tanh form).
        layer_norm_epsilon: float. Epsilon of both layer norms.
        dropout: float. Dropout on attention and MLP outputs.

    Call arguments:
        inputs: float tensor `(batch, tokens, hidden_dim)`.
        padding_mask: optional bool tensor `(batch, tokens)`; padded keys are
            never attended to.

    Example:
    ```python
    block = keras_mm.models.BertBlock(32, num_heads=2, intermediate_dim=64)
    y = block(np.zeros((2, 5, 32), "float32"))  # (2, 5, 32)
    ```
    """

    def __init__(self, hidden_dim, num_heads, intermediate_dim,
                 activation="gelu", layer_norm_epsilon=1e-12, dropout=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        check_heads(hidden_dim, num_heads)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}. "
                f"Received: activation={activation!r}"
            )
        self._remember_config(locals())

    def build(self, input_shape):
        common = dict(dtype=self.dtype_policy)
        hidden_shape = tuple(input_shape[:-1]) + (self.hidden_dim,)
        for name in ("query", "key", "value", "attention_output"):
            layer = keras.layers.Dense(self.hidden_dim, name=name, **common)
            layer.build(hidden_shape)
            setattr(self, name, layer)
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="attention_norm", **common
        )
        self.attention_norm.build(hidden_shape)
        self.intermediate = keras.layers.Dense(
            self.intermediate_dim, name="intermediate", **common
        )
        self.intermediate.build(hidden_shape)
        self.output_dense = keras.layers.Dense(
            self.hidden_dim, name="output_dense", **common
        )
        self.output_dense.build(
            tuple(input_shape[:-1]) + (self.intermediate_dim,)
        )
        self.output_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="output_norm", **common
        )
        self.output_norm.build(hidden_shape)
        self.dropout_layer = keras.layers.Dropout(self.dropout, **common)

    def call(self, inputs, padding_mask=None, training=None):
        attended = multi_head_attention(
            self.query(inputs), self.key(inputs), self.value(inputs),
            self.num_heads, padding_mask)
        attended = self.dropout_layer(
            self.attention_output(attended), training=training
        )
        x = self.attention_norm(inputs + attended)
        mlp = ACTIVATIONS[self.activation](self.intermediate(x))
        mlp = self.dropout_layer(self.output_dense(mlp), training=training)
        return self.output_norm(x + mlp)

    def compute_output_shape(self, input_shape):
        return input_shape
