"""`FusedDense`'s jax fast path: the matmul and gradients that XLA:CPU
runs fastest.

- **Kernel gradient without transposed copies.** Through jax's own
  differentiation rule, the kernel gradient of `x @ kernel` reaches XLA:CPU
  in a form that it computes from transposed copies of the activations
  (`[hidden, batch * tokens]`), each copy recomputing the elementwise
  backward (LayerNorm, residual sums) that feeds it. TensorFlow writes the
  same gradient as one contraction over the leading axes of `x` and the
  output gradient, which XLA runs without any copy. This rule writes it
  that way on jax too.
- **bfloat16 with float32 accumulation.** Under `mixed_bfloat16`, the
  matmuls ask for float32 results (`preferred_element_type`) and round
  them to bfloat16 once. XLA:CPU then runs them as native bfloat16 GEMMs
  (AMX/AVX512-BF16 where the CPU has them); with bfloat16 results it
  upcasts them to float32 GEMMs instead.
"""

from functools import partial

import jax
import jax.numpy as jnp
import keras
from jax import lax

_HALF = (jnp.bfloat16, jnp.float16)


def supports(layer, inputs):
    """Whether `call` applies: floating-point inputs (any `FusedDense`)."""
    return "float" in keras.backend.standardize_dtype(inputs.dtype)


def call(layer, inputs):
    """`layer.call(inputs)` (a `FusedDense`) through `matmul` / `dense`."""
    inputs = keras.ops.convert_to_tensor(inputs)
    kernel = keras.ops.convert_to_tensor(layer.kernel, inputs.dtype)
    if layer.bias is None:
        outputs = layer.activation(matmul(inputs, kernel))
        if layer.float32_output:
            outputs = keras.ops.cast(outputs, "float32")
        return outputs
    bias = keras.ops.convert_to_tensor(layer.bias, inputs.dtype)
    # Half-precision activations run faster in float32 here.
    activate = layer.activation not in (None, keras.activations.linear)
    outputs = dense(inputs, kernel, bias,
                    float32_output=activate or layer.float32_output)
    if activate:
        outputs = layer.activation(outputs)
    dtype = "float32" if layer.float32_output else inputs.dtype
    return keras.ops.cast(outputs, dtype)


def _dot(a, b, contracting, round_half=True):
    """`dot_general` with float32 accumulation for half-precision operands,
    rounded back to their dtype unless `round_half=False`."""
    half = a.dtype in _HALF
    out = lax.dot_general(
        a, b, (contracting, ((), ())),
        preferred_element_type=jnp.float32 if half else None)
    return out.astype(a.dtype) if half and round_half else out


@jax.custom_vjp
def matmul(inputs, kernel):
    """`inputs @ kernel` over the last axis of `inputs`; `kernel` is 2-D."""
    return _dot(inputs, kernel, ((inputs.ndim - 1,), (0,)))


def _matmul_forward(inputs, kernel):
    return matmul(inputs, kernel), (inputs, kernel)


def _matmul_grads(inputs, kernel, output_grad):
    in_dim, out_dim = kernel.shape
    # dkernel = Σ over every leading position of inputsᵀ · output_grad.
    kernel_grad = _dot(inputs.reshape(-1, in_dim),
                       output_grad.reshape(-1, out_dim), ((0,), (0,)))
    inputs_grad = _dot(output_grad, kernel, ((output_grad.ndim - 1,), (1,)))
    return inputs_grad.astype(inputs.dtype), kernel_grad.astype(kernel.dtype)


def _matmul_backward(residuals, output_grad):
    return _matmul_grads(*residuals, output_grad)


matmul.defvjp(_matmul_forward, _matmul_backward)


def dense(inputs, kernel, bias, float32_output=False):
    """`inputs @ kernel + bias`; the bias gradient is a GEMV too.

    With `float32_output`, half-precision inputs give the float32 sum
    unrounded (for an activation that XLA:CPU runs faster in float32).
    """
    return _dense(inputs, kernel, bias, float32_output)


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def _dense(inputs, kernel, bias, float32_output):
    outputs = _dot(inputs, kernel, ((inputs.ndim - 1,), (0,)),
                   round_half=False)
    outputs = outputs + bias.astype(outputs.dtype)
    return outputs if float32_output else outputs.astype(inputs.dtype)


def _dense_forward(inputs, kernel, bias, float32_output):
    return (_dense(inputs, kernel, bias, float32_output),
            (inputs, kernel, bias))


def _dense_backward(float32_output, residuals, output_grad):
    inputs, kernel, bias = residuals
    output_grad = output_grad.astype(inputs.dtype)
    inputs_grad, kernel_grad = _matmul_grads(inputs, kernel, output_grad)
    # Σ over the leading positions as ones · output_grad: XLA:CPU runs the
    # bfloat16 column sum as a loop, much slower than this GEMV.
    rows = output_grad.reshape(-1, output_grad.shape[-1])
    ones = jnp.ones((1, rows.shape[0]), rows.dtype)
    bias_grad = _dot(ones, rows, ((1,), (0,)))[0]
    return inputs_grad, kernel_grad, bias_grad.astype(bias.dtype)


_dense.defvjp(_dense_forward, _dense_backward)
