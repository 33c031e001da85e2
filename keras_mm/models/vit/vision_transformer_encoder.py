"""A ViT image encoder as a functional Keras model."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.attention_pooling import AttentionPooling
from keras_mm.layers.image_normalization import ImageNormalization
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.layers.patch_embedding import PatchEmbedding


@keras_mm_export
class VisionTransformerEncoder(FunctionalEncoder):
    """Vision Transformer over square RGB images with values in [0, 255].

    Args:
        image_size: int. Input height and width.
        patch_size: int. Patch side; divides `image_size`.
        hidden_dim: int. Token width.
        num_layers: int. Number of transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        pooling: str. `"cls"` (class token), `"mean"` over patches or
            `"map"` (a learned probe attends to the patches,
            `keras_mm.layers.AttentionPooling`: SigLIP's head; it uses
            `num_heads`, `intermediate_dim`, `activation` and
            `layer_norm_epsilon`).
        dropout: float. Dropout inside the blocks.
        activation: str. MLP activation of the blocks (`"gelu"`,
            `"quick_gelu"`, `"gelu_tanh"`).
        layer_norm_epsilon: float. Epsilon of every layer norm.
        pre_norm: bool. A layer norm on the embedded patches before the
            first block (CLIP's `ln_pre`).
        patch_bias: bool. Whether the patch projection has a bias.
        image_mean: optional sequence of 3 floats in [0, 1] units; with
            `image_std`, inputs are normalised per channel as the
            checkpoint was trained. Without them, [0, 255] maps to [-1, 1].
        image_std: optional sequence of 3 floats in [0, 1] units.

    Inputs: `{"images": (batch, image_size, image_size, 3)}`.
    Outputs: `{"sequence_output": (batch, tokens, hidden_dim),
    "pooled_output": (batch, hidden_dim)}`.

    Example:
    ```python
    encoder = keras_mm.models.VisionTransformerEncoder(
        image_size=32, patch_size=8, hidden_dim=32, num_layers=1, num_heads=2)
    out = encoder({"images": np.zeros((2, 32, 32, 3), "float32")})
    out["pooled_output"].shape  # (2, 32)
    ```

    References:
        Dosovitskiy et al., "An Image is Worth 16x16 Words", 2021.
    """

    input_keys = ("images",)

    def __init__(
        self,
        image_size,
        patch_size,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        pooling="cls",
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        pre_norm=False,
        patch_bias=True,
        image_mean=None,
        image_std=None,
        dtype=None,
        **kwargs,
    ):
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        if (image_mean is None) != (image_std is None):
            raise ValueError("image_mean and image_std go together. "
                             f"Received: image_mean={image_mean}, "
                             f"image_std={image_std}")
        if image_mean is None:
            rescale = keras.layers.Rescaling(
                1.0 / 127.5, offset=-1.0, dtype=dtype, name="rescale"
            )
        else:
            rescale = ImageNormalization(
                image_mean, image_std, dtype=dtype, name="rescale")
        embedding = PatchEmbedding(
            image_size,
            patch_size,
            hidden_dim,
            use_class_token=pooling == "cls",
            use_bias=patch_bias,
            dtype=dtype,
            name="patch_embedding",
        )
        blocks = transformer_blocks(
            num_layers, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, dropout=dropout,
            activation=activation, layer_norm_epsilon=layer_norm_epsilon,
            dtype=dtype)
        embed_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="pre_norm"
        ) if pre_norm else None
        final_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="final_norm"
        )
        if pooling == "map":
            pool = AttentionPooling(
                num_heads, intermediate_dim, activation=activation,
                layer_norm_epsilon=layer_norm_epsilon, dtype=dtype,
                name="pooling")
        else:
            pool = MaskedPooling(pooling, dtype=dtype, name="pooling")

        # === Functional Model ===
        images = keras.Input((image_size, image_size, 3), name="images")
        x = embedding(rescale(images))
        if embed_norm is not None:
            x = embed_norm(x)
        x = run_blocks(blocks, x, final_norm)
        super().__init__({"images": images}, x, pool(x),
                         locals(), dtype=dtype, **kwargs)

    def encode_pooled(self, inputs, training=False):
        if self.pooling != "cls" or not self.num_layers:
            return super().encode_pooled(inputs, training=training)
        images = ops.cast(inputs["images"], "float32")
        x = self.get_layer("patch_embedding")(self.get_layer("rescale")(images))
        if self.pre_norm:
            x = self.get_layer("pre_norm")(x)
        return self._pool_through_blocks(x, training=training)
