"""Image patches to tokens, with a class token and learned positions."""

import keras
from keras import ops

from keras_mm import backend
from keras_mm.api_export import keras_mm_export


@keras_mm_export
class PatchEmbedding(keras.layers.Layer):
    """Splits an image into patches and embeds each as a token.

    Args:
        image_size: int. Height and width of the (square) input image.
        patch_size: int. Side of each square patch; divides `image_size`.
        hidden_dim: int. Width of each token.
        use_class_token: bool. Prepends a learned class token.
        use_bias: bool. Whether the patch projection has a bias (CLIP's
            has none).

    Call arguments:
        images: float tensor `(batch, image_size, image_size, channels)`.

    Returns:
        `(batch, num_patches [+ 1], hidden_dim)` tokens with positions added.

    Example:
    ```python
    embed = keras_mm.layers.PatchEmbedding(32, patch_size=4, hidden_dim=64)
    tokens = embed(np.zeros((2, 32, 32, 3), "float32"))  # (2, 65, 64)
    ```
    """

    def __init__(
        self, image_size, patch_size, hidden_dim, use_class_token=True,
        use_bias=True, **kwargs
    ):
        super().__init__(**kwargs)
        if image_size % patch_size:
            raise ValueError(
                "image_size must be divisible by patch_size. Received: "
                f"image_size={image_size}, patch_size={patch_size}"
            )
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.use_class_token = use_class_token
        self.use_bias = use_bias
        self.num_patches = (image_size // patch_size) ** 2
        self.num_tokens = self.num_patches + int(use_class_token)

    def build(self, input_shape):
        self.projection = keras.layers.Conv2D(
            self.hidden_dim,
            self.patch_size,
            strides=self.patch_size,
            use_bias=self.use_bias,
            name="projection",
            dtype=self.dtype_policy,
        )
        self.projection.build(input_shape)
        if self.use_class_token:
            self.class_token = self.add_weight(
                shape=(1, 1, self.hidden_dim),
                initializer=keras.initializers.RandomNormal(stddev=0.02),
                name="class_token",
            )
        self.position_embedding = self.add_weight(
            shape=(1, self.num_tokens, self.hidden_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="position_embedding",
        )

    def call(self, images):
        fast = backend.native("patch_embedding")
        if fast is not None and fast.supports(self):
            tokens = fast.call(self, images)
        else:
            patches = self.projection(images)  # (B, S/P, S/P, D)
            tokens = ops.reshape(
                patches, (-1, self.num_patches, self.hidden_dim))
        if self.use_class_token:
            class_token = ops.broadcast_to(
                ops.cast(self.class_token, tokens.dtype),
                (ops.shape(tokens)[0], 1, self.hidden_dim),
            )
            tokens = ops.concatenate([class_token, tokens], axis=1)
        return tokens + ops.cast(self.position_embedding, tokens.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_tokens, self.hidden_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "patch_size": self.patch_size,
            "hidden_dim": self.hidden_dim,
            "use_class_token": self.use_class_token,
            "use_bias": self.use_bias,
        }
