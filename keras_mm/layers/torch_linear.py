"""Torch-only kernel for `FusedDense`: `x @ kernel + bias` as one `addmm`.

Keras' `Dense` runs a matmul and then a separate bias add; on the torch
backend that extra pass over the activations (and its backward) costs ~8%
of a CLIP training step on CPU. `torch.addmm` folds the add into the GEMM,
as `torch.nn.Linear` does. This is the only module of `keras_mm.layers` that
imports torch.
"""

import torch  # noqa: F401  (the one torch import of keras_mm.layers)
from keras import ops


def linear(inputs, kernel, bias):
    """`inputs @ kernel + bias` over the last axis of `inputs`."""
    inputs = ops.convert_to_tensor(inputs)
    kernel = ops.convert_to_tensor(kernel)
    bias = ops.convert_to_tensor(bias)
    leading = inputs.shape[:-1]
    outputs = torch.addmm(bias, inputs.reshape(-1, inputs.shape[-1]), kernel)
    return outputs.reshape(*leading, kernel.shape[-1])
