"""Eager gradients of a scalar function with `torch.autograd`."""

import torch


def value_and_grads(fn, variables):
    """`(value, grads)` of `fn()` w.r.t. the Keras `variables`.

    A gradient is None where `fn` does not read the variable.
    """
    value = fn()
    grads = torch.autograd.grad(
        value, [v.value for v in variables], allow_unused=True)
    return value, grads
