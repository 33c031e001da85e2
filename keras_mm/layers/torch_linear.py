"""Torch-only kernels for `FusedDense`.

- `linear`: `x @ kernel + bias` as one `addmm`. Keras' `Dense` runs a
  matmul and then a separate bias add; on the torch backend that extra pass
  over the activations (and its backward) costs ~8% of a CLIP training step
  on CPU. `torch.addmm` folds the add into the GEMM, as `torch.nn.Linear`
  does.
- `inference_linear_gelu`: `gelu(x @ kernel + bias)` (exact GELU) as one
  oneDNN matmul that applies the GELU as it writes its output, where no
  gradient is being recorded. The separate GELU pass over an MLP's wide
  hidden layer is as slow as the matmul's own output pass on CPU: the fused
  call takes 2.5 ms against 4.2 for `addmm` + `gelu` at (2080, 192) →
  (2080, 768).

With `torch_block`, the only modules of `keras_mm.layers` that import torch.
"""

import keras
import torch  # (one of the two torch imports of keras_mm.layers)
from keras import ops


# Below this many rows (tokens in the batch), `addmm` + `gelu` is faster.
FUSED_GELU_MIN_ROWS = 512
_exact_gelu = keras.activations.gelu  # `approximate=False` by default


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
    (a plain matmul when `bias` is `None`). `FusedDense` and
    `torch_block` both project through it.
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
