"""A `Dense` layer whose bias add is fused into the matmul where it pays."""

import keras

from keras_mm import backend
from keras_mm.api_export import keras_mm_export


@keras_mm_export
class FusedDense(keras.layers.Dense):
    """`keras.layers.Dense` with the matmul each backend runs fastest.

    Same weights, config, LoRA (`enable_lora`) and quantization as `Dense`
    (a quantized layer runs Keras' own quantized kernel). On the torch
    backend the float call is one `addmm` instead of a matmul and an add.
    On jax the matmul's kernel gradient is written as one contraction over
    the leading axes (`keras_mm.backend.jax.dense`), which XLA:CPU runs
    without transposed copies of the activations. TensorFlow runs
    `Dense.call` unchanged.

    Args:
        units: int. Output width, as in `Dense`.
        float32_output: bool. Under a mixed-precision policy, return float32
            instead of the compute dtype; the matmul still runs in the
            compute dtype (what `torch.autocast` code gets when it adds a
            linear layer's output to a float32 tensor). On jax a layer with
            a bias returns its float32 accumulator unrounded (without one,
            the rounded result is cast). `TransformerBlock` uses it
            for what it adds to its float32 residual stream.
        **kwargs: every other `Dense` argument.

    Example:
    ```python
    layer = keras_mm.layers.FusedDense(8, activation="gelu")
    y = layer(np.ones((2, 5, 4), "float32"))  # (2, 5, 8)
    ```
    """

    def __init__(self, units, float32_output=False, **kwargs):
        super().__init__(units, **kwargs)
        self.float32_output = float32_output

    def quantize(self, mode=None, type_check=True, config=None):
        # Keras' Dense refuses subclasses by default (`type_check`); the
        # quantized kernel is Dense's own, so it applies unchanged.
        super().quantize(mode, type_check=False, config=config)

    def call(self, inputs, training=None):
        fast = backend.native("dense")
        if fast is not None and fast.supports(self, inputs):
            return fast.call(self, inputs)
        outputs = super().call(inputs, training=training)
        if self.float32_output:
            return keras.ops.cast(outputs, "float32")
        return outputs

    def get_config(self):
        return {**super().get_config(), "float32_output": self.float32_output}

