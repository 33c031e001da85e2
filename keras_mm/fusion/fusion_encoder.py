"""Single-stream fusion: one transformer over all modalities' tokens."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.layers.transformer_block import TransformerBlock


@keras_mm_export
class FusionEncoder(ConstructorConfig, keras.layers.Layer):
    """Transformer over concatenated token sequences of several modalities.

    Each modality's tokens are projected to `hidden_dim` (when their width
    differs), tagged with a learned modality-type embedding, concatenated
    along the token axis and run through `num_layers` self-attention blocks.
    Padded tokens of any modality are hidden from every query.

    Args:
        hidden_dim: int. Width of the fused tokens.
        num_layers: int. Number of transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        num_modalities: int. Number of input sequences (and type
            embeddings).
        dropout: float. Dropout inside the blocks.

    Call arguments:
        inputs: list of `num_modalities` float tensors
            `(batch, tokens_i, dim_i)`.
        padding_masks: optional list of bool tensors `(batch, tokens_i)` or
            `None` entries (all tokens valid).
        training: bool. Enables dropout.

    Returns:
        `(batch, sum(tokens_i), hidden_dim)`, in the input order.

    Example:
    ```python
    fusion = keras_mm.fusion.FusionEncoder(32, num_layers=1, num_heads=2)
    image = np.zeros((2, 17, 32), "float32")
    text = np.zeros((2, 8, 48), "float32")
    tokens = fusion([image, text])  # (2, 25, 32)
    ```

    References:
        Kim et al., "ViLT", 2021 (modality-type embeddings).
    """

    def __init__(
        self,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        num_modalities=2,
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_modalities < 1:
            raise ValueError(
                f"num_modalities must be >= 1. Received: {num_modalities}")
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        self._remember_config(locals())

    def build(self, inputs_shape):
        if len(inputs_shape) != self.num_modalities:
            raise ValueError(
                f"Expected {self.num_modalities} input sequences. Received: "
                f"{len(inputs_shape)}"
            )
        kw = dict(dtype=self.dtype_policy)
        self.input_projections = []
        for i, shape in enumerate(inputs_shape):
            if shape[-1] == self.hidden_dim:
                self.input_projections.append(None)
                continue
            dense = keras.layers.Dense(
                self.hidden_dim, name=f"input_projection_{i}", **kw)
            dense.build(tuple(shape))
            self.input_projections.append(dense)
        self.type_embeddings = self.add_weight(
            shape=(self.num_modalities, self.hidden_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="type_embeddings",
        )
        self.blocks = []
        block_shape = (None, None, self.hidden_dim)
        for i in range(self.num_layers):
            block = TransformerBlock(
                self.hidden_dim, self.num_heads, self.intermediate_dim,
                dropout=self.dropout, name=f"block_{i}", **kw)
            block.build(block_shape)
            self.blocks.append(block)
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="final_norm", **kw)
        self.final_norm.build(block_shape)

    def call(self, inputs, padding_masks=None, training=None):
        if padding_masks is None:
            padding_masks = [None] * len(inputs)
        tokens, masks = [], []
        for i, (x, mask) in enumerate(zip(inputs, padding_masks)):
            if self.input_projections[i] is not None:
                x = self.input_projections[i](x)
            type_embedding = ops.cast(self.type_embeddings[i], x.dtype)
            tokens.append(x + type_embedding[None, None, :])
            if mask is None:
                mask = ops.ones(ops.shape(x)[:2], "bool")
            masks.append(ops.cast(mask, "bool"))
        x = ops.concatenate(tokens, axis=1)  # (B, sum T_i, D)
        mask = ops.concatenate(masks, axis=1)  # (B, sum T_i)
        for block in self.blocks:
            x = block(x, padding_mask=mask, training=training)
        return self.final_norm(x)

    def compute_output_shape(self, inputs_shape):
        lengths = [s[1] for s in inputs_shape]
        total = None if None in lengths else sum(lengths)
        return (inputs_shape[0][0], total, self.hidden_dim)
