"""`FusedDense`'s torch fast path and the torch projections it shares.

- `call`: `FusedDense.call` as one `addmm` (`torch.addmm` folds the bias
  add into the GEMM, as `torch.nn.Linear` does) instead of Keras' matmul
  followed by a separate pass over the activations to add the bias.
- `inference_linear_gelu`: `gelu(x @ kernel + bias)` (exact GELU) as one
  oneDNN matmul that applies the GELU as it writes its output, where no
  gradient is being recorded: on CPU the separate GELU pass over an MLP's
  wide hidden layer costs about as much as the matmul's own output pass.

`keras_mm.backend.torch.transformer_block` and
`keras_mm.backend.torch.patch_embedding` project through `dense` / `linear`.
"""

import keras
import torch
from keras import ops


# Below this many rows (tokens in the batch), `addmm` + `gelu` is faster.
FUSED_GELU_MIN_ROWS = 512
_exact_gelu = keras.activations.gelu  # `approximate=False` by default


def supports(layer, inputs):
    """Whether `call` applies to `layer` (a `FusedDense`): it needs a bias."""
    return layer.bias is not None


def call(layer, inputs):
    """`layer.call(inputs)` as one `addmm` (see `supports`)."""
    operands = (ops.convert_to_tensor(x)
                for x in (inputs, layer.kernel, layer.bias))
    outputs = dense(*operands, layer.activation)
    return ops.cast(outputs, "float32") if layer.float32_output else outputs


def linear(inputs, kernel, bias):
    """`inputs @ kernel + bias` over the last axis of `inputs`."""
    inputs = ops.convert_to_tensor(inputs)
    kernel = ops.convert_to_tensor(kernel)
    bias = ops.convert_to_tensor(bias)
    return addmm_last_axis(inputs, kernel, bias)


def addmm_last_axis(inputs, kernel, bias):
    """`linear` for operands that are torch tensors already."""
    leading = inputs.shape[:-1]
    outputs = torch.addmm(bias, inputs.reshape(-1, inputs.shape[-1]), kernel)
    return outputs.reshape(*leading, kernel.shape[-1])


def dense(inputs, kernel, bias, activation=None):
    """`activation(inputs @ kernel + bias)` for torch tensors.

    An exact GELU is applied inside the matmul where
    `inference_linear_gelu` applies; otherwise the matmul is one `addmm`
    (a plain matmul when `bias` is `None`). `FusedDense` and the torch
    `TransformerBlock` both project through it.
    """
    if activation is _exact_gelu and bias is not None:
        fused = inference_linear_gelu(inputs, kernel, bias)
        if fused is not None:
            return fused
    if bias is None:
        outputs = torch.matmul(inputs, kernel)
    else:
        outputs = addmm_last_axis(inputs, kernel, bias)
    if activation is _exact_gelu:
        # What Keras' exact GELU runs on torch, minus its dispatch.
        return torch.nn.functional.gelu(outputs)
    return outputs if activation is None else activation(outputs)


def inference_linear_gelu(inputs, kernel, bias):
    """`gelu(inputs @ kernel + bias)` for torch tensors in one oneDNN call,
    or `None` where that does not apply: while autograd records, off CPU,
    for other dtypes than float32, below `FUSED_GELU_MIN_ROWS`, or in a
    torch build without oneDNN."""
    if (torch.is_grad_enabled() and (inputs.requires_grad
                                     or kernel.requires_grad
                                     or bias.requires_grad)):
        return None
    if not _onednn_linear_available() or inputs.device.type != "cpu":
        return None
    if not (inputs.dtype == kernel.dtype == bias.dtype == torch.float32):
        return None
    if inputs.numel() // inputs.shape[-1] < FUSED_GELU_MIN_ROWS:
        return None  # The op's Python dispatch outweighs the saved pass.
    return _onednn_linear_gelu(inputs, kernel, bias)


def _onednn_linear_available():
    return (torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, "_linear_pointwise"))


# A registered op, so that TorchScript traces (`CompiledPredictor`) record
# it: the tracer cannot record `_linear_pointwise`'s list of scalars.
@torch.library.custom_op("keras_mm::linear_gelu", mutates_args=())
def _onednn_linear_gelu(inputs: torch.Tensor, kernel: torch.Tensor,
                        bias: torch.Tensor) -> torch.Tensor:
    # oneDNN takes the weight as `(out, in)`, like `torch.nn.Linear`; the
    # transposed view is read in place.
    return torch.ops.mkldnn._linear_pointwise(
        inputs, kernel.t(), bias, "gelu", [], "none")
