"""The learned temperature (and bias) of a contrastive loss."""

import math

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class LogitScale(keras.layers.Layer):
    """Holds `log(scale)` and an optional bias; scales similarity logits.

    The scale is clamped to `max_scale` in `call` (CLIP clamps at 100) so a
    runaway temperature cannot destabilise training.

    Args:
        initial_scale: float. Starting value of the scale (CLIP: 1/0.07).
        max_scale: float. Upper clamp of the scale.
        use_bias: bool. Adds a learned bias (SigLIP).
        initial_bias: float. Starting bias (SigLIP: -10).

    Call arguments:
        similarities: float tensor of cosine similarities.

    Example:
    ```python
    scale = keras_mm.heads.LogitScale()
    logits = scale(np.eye(3, dtype="float32"))  # eye * 14.28
    ```
    """

    def __init__(
        self,
        initial_scale=1.0 / 0.07,
        max_scale=100.0,
        use_bias=False,
        initial_bias=-10.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0 < initial_scale <= max_scale:
            raise ValueError(
                "initial_scale must be in (0, max_scale]. Received: "
                f"initial_scale={initial_scale}, max_scale={max_scale}"
            )
        self.initial_scale = initial_scale
        self.max_scale = max_scale
        self.use_bias = use_bias
        self.initial_bias = initial_bias

    def build(self, input_shape=None):
        self.log_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(
                math.log(self.initial_scale)
            ),
            name="log_scale",
            autocast=False,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(self.initial_bias),
                name="bias",
                autocast=False,
            )

    def scale(self):
        """The current (clamped) multiplicative scale, float32."""
        return ops.minimum(ops.exp(self.log_scale), self.max_scale)

    def call(self, similarities):
        logits = ops.cast(similarities, "float32") * self.scale()
        if self.use_bias:
            logits = logits + self.bias
        return logits

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "initial_scale": self.initial_scale,
            "max_scale": self.max_scale,
            "use_bias": self.use_bias,
            "initial_bias": self.initial_bias,
        }
