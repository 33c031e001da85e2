"""Projection of a modality's features into the shared embedding space."""

import keras

from keras_mm.api_export import keras_mm_export

VARIANTS = ("mlp", "linear", "linear_bias", "identity")


@keras_mm_export
class ModalityProjection(keras.layers.Layer):
    """Maps features of any width to `output_dim`.

    The `"mlp"` variant is `in → 2·output_dim → output_dim` with an
    activation between; `"linear"` is a single bias-free `Dense`, as in CLIP;
    `"linear_bias"` the same with a bias (SigLIP's text head);
    `"identity"` passes features through (a tower that already ends in its
    embedding, as SigLIP's image tower does).

    Args:
        output_dim: int. Width of the shared space (e.g. 768).
        variant: str. `"mlp"`, `"linear"`, `"linear_bias"` or
            `"identity"`.
        activation: str. Activation of the MLP's hidden layer.

    Example:
    ```python
    project = keras_mm.heads.ModalityProjection(768)
    y = project(np.zeros((2, 2048), "float32"))  # (2, 768)
    ```
    """

    def __init__(self, output_dim, variant="mlp", activation="relu", **kwargs):
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(
                f"variant must be one of {VARIANTS}. Received: {variant!r}"
            )
        self.output_dim = output_dim
        self.variant = variant
        self.activation = activation

    def build(self, input_shape):
        dense = dict(dtype=self.dtype_policy)
        if self.variant == "mlp":
            self.hidden = keras.layers.Dense(
                2 * self.output_dim,
                activation=self.activation,
                name="hidden",
                **dense,
            )
            self.hidden.build(input_shape)
            self.output_layer = keras.layers.Dense(
                self.output_dim, name="output", **dense
            )
            self.output_layer.build((*input_shape[:-1], 2 * self.output_dim))
        elif self.variant != "identity":
            self.output_layer = keras.layers.Dense(
                self.output_dim, use_bias=self.variant == "linear_bias",
                name="output", **dense
            )
            self.output_layer.build(input_shape)

    def call(self, inputs):
        if self.variant == "identity":
            return inputs
        if self.variant == "mlp":
            inputs = self.hidden(inputs)
        return self.output_layer(inputs)

    def compute_output_shape(self, input_shape):
        if self.variant == "identity":
            return input_shape
        return (*input_shape[:-1], self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "output_dim": self.output_dim,
            "variant": self.variant,
            "activation": self.activation,
        }
