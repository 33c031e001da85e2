"""Multihead attention pooling (MAP): a learned probe attends to tokens."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers import activations


@keras_mm_export
class AttentionPooling(keras.layers.Layer):
    """Pools `(batch, tokens, dim)` into `(batch, dim)` with a learned query.

    SigLIP's (and big_vision's ViT "map") head: one learned probe token
    attends to every token through a multi-head attention with biased
    query, key and value projections (torch's `nn.MultiheadAttention`),
    then passes through a layer norm and an MLP added as a residual.

    The q, k and v projections are held as one `(dim, 3 * dim)` kernel and
    one `(3 * dim,)` bias, in that order, which is how torch stores them
    (`in_proj_weight`, `in_proj_bias`), so a checkpoint maps by transpose.

    Args:
        num_heads: int. Attention heads; divides the token width.
        intermediate_dim: int. Width of the MLP's hidden layer.
        activation: str. MLP activation (`"gelu_tanh"` for SigLIP).
        layer_norm_epsilon: float. Epsilon of the layer norm.

    Call arguments:
        inputs: float tensor `(batch, tokens, dim)`.

    Example:
    ```python
    pool = keras_mm.layers.AttentionPooling(num_heads=2, intermediate_dim=64)
    pooled = pool(np.zeros((2, 5, 32), "float32"))  # (2, 32)
    ```

    References:
        Zhai et al., "Scaling Vision Transformers", 2022 (the MAP head);
        Zhai et al., "Sigmoid Loss for Language Image Pre-Training", 2023.
    """

    def __init__(self, num_heads, intermediate_dim, activation="gelu_tanh",
                 layer_norm_epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim % self.num_heads:
            raise ValueError(
                "The token width must be divisible by num_heads. Received: "
                f"width={dim}, num_heads={self.num_heads}")
        self.hidden_dim = dim
        self.probe = self.add_weight(
            shape=(1, 1, dim), initializer="glorot_uniform", name="probe")
        self.in_proj_kernel = self.add_weight(
            shape=(dim, 3 * dim), initializer="glorot_uniform",
            name="in_proj_kernel")
        self.in_proj_bias = self.add_weight(
            shape=(3 * dim,), initializer="zeros", name="in_proj_bias")
        dense = dict(dtype=self.dtype_policy)
        self.out_proj = keras.layers.Dense(dim, name="out_proj", **dense)
        self.norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="norm", **dense)
        self.mlp_in = keras.layers.Dense(
            self.intermediate_dim,
            activation=activations.get(self.activation), name="mlp_in",
            **dense)
        self.mlp_out = keras.layers.Dense(dim, name="mlp_out", **dense)
        self.out_proj.build((None, 1, dim))
        self.norm.build((None, 1, dim))
        self.mlp_in.build((None, 1, dim))
        self.mlp_out.build((None, 1, self.intermediate_dim))

    def call(self, inputs):
        dim, heads = self.hidden_dim, self.num_heads
        kernel = ops.cast(self.in_proj_kernel, self.compute_dtype)
        bias = ops.cast(self.in_proj_bias, self.compute_dtype)
        inputs = ops.cast(inputs, self.compute_dtype)
        probe = ops.cast(self.probe, self.compute_dtype)
        # The probe is the same for every example: its query is one row.
        query = ops.matmul(probe[0], kernel[:, :dim]) + bias[:dim]  # (1, D)
        key_value = ops.matmul(inputs, kernel[:, dim:]) + bias[dim:]
        key, value = ops.split(key_value, 2, axis=-1)  # (B, T, D) each
        batch, tokens = ops.shape(inputs)[0], ops.shape(inputs)[1]
        query = ops.broadcast_to(
            ops.reshape(query, (1, 1, heads, dim // heads)),
            (batch, 1, heads, dim // heads))
        key = ops.reshape(key, (batch, tokens, heads, dim // heads))
        value = ops.reshape(value, (batch, tokens, heads, dim // heads))
        attended = ops.dot_product_attention(query, key, value)
        x = self.out_proj(ops.reshape(attended, (batch, 1, dim)))
        x = x + self.mlp_out(self.mlp_in(self.norm(x)))
        return x[:, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }
