"""A `Dense` layer whose bias add is fused into the matmul where it pays."""

import keras

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class FusedDense(keras.layers.Dense):
    """`keras.layers.Dense` with the matmul each backend runs fastest.

    Same weights, config, LoRA (`enable_lora`) and quantization as `Dense`
    (a quantized layer runs Keras' own quantized kernel). On the torch
    backend the float call is one `addmm` instead of a matmul and an add.
    On jax the matmul's kernel gradient is written as one contraction over
    the leading axes (`keras_mm.layers.jax_matmul`), which XLA:CPU runs
    without transposed copies of the activations. TensorFlow runs
    `Dense.call` unchanged.

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
        backend = keras.config.backend()
        if backend == "torch" and self.bias is not None:
            from keras_mm.layers.torch_linear import linear

            outputs = linear(inputs, self.kernel, self.bias)
        elif backend == "jax" and _is_float(inputs):
            from keras_mm.layers import jax_matmul

            inputs = keras.ops.convert_to_tensor(inputs)
            kernel = keras.ops.convert_to_tensor(self.kernel, inputs.dtype)
            if self.bias is None:
                outputs = jax_matmul.matmul(inputs, kernel)
            else:
                bias = keras.ops.convert_to_tensor(self.bias, inputs.dtype)
                # Half-precision activations run faster in float32 here.
                activate = self.activation not in (None, _linear)
                outputs = jax_matmul.dense(inputs, kernel, bias,
                                           float32_output=activate)
                if activate:
                    outputs = self.activation(outputs)
                return keras.ops.cast(outputs, inputs.dtype)
        else:
            return super().call(inputs, training=training)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


_linear = keras.activations.linear


def _is_float(inputs):
    return "float" in keras.backend.standardize_dtype(inputs.dtype)
