"""A `Dense` layer whose bias add is fused into the matmul where it pays."""

import keras

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class FusedDense(keras.layers.Dense):
    """`keras.layers.Dense` with the bias folded into the GEMM on torch.

    Same weights, config, LoRA (`enable_lora`) and quantization as `Dense`
    (a quantized layer runs Keras' own quantized kernel). On the torch
    backend the float call is one `addmm` instead of a matmul and an add;
    jax and tensorflow compile the step and schedule the add themselves, so
    they run `Dense.call` unchanged.

    Example:
    ```python
    layer = keras_mm.layers.FusedDense(8, activation="gelu")
    y = layer(np.ones((2, 5, 4), "float32"))  # (2, 5, 8)
    ```
    """

    def quantize(self, mode=None, type_check=True, config=None):
        # Keras' Dense refuses subclasses by default (`type_check`); the
        # quantized kernel is Dense's own, so it applies unchanged.
        super().quantize(mode, type_check=False, config=config)

    def call(self, inputs, training=None):
        if self.bias is None or keras.config.backend() != "torch":
            return super().call(inputs, training=training)
        from keras_mm.layers.torch_linear import linear

        outputs = linear(inputs, self.kernel, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs
