"""Keras AdamW's update as torch's fused CPU/GPU kernel (torch only).

Keras' torch AdamW runs several `torch._foreach_*` passes over the
weights per step; `torch._fused_adamw_` reads each weight, gradient and
moment once. The arithmetic is Keras': decoupled decay `1 - wd * lr`
before the step, and epsilon added to `sqrt(v)` before bias correction
(passed to torch as `epsilon / sqrt(1 - beta_2 ** t)`).
"""

import math

import torch

from keras_mm.backend import keras_compat


@torch.no_grad()
def fused_adamw_step(optimizer, grads, variables, learning_rate,
                     multiplier=lambda variable: 1.0, grad_divisors=None):
    """One AdamW update of `variables` in place, in fused kernels.

    Variables are grouped by learning-rate multiplier, by whether they
    decay and by gradient divisor; each group is one kernel call.
    `grad_divisors` (from `clip_divisors`: one scalar tensor or `None` per
    gradient) divide the gradients inside the kernel, which spares a
    separate pass over them; the kernel writes the divided gradients back
    into `grads`.
    """
    step = int(optimizer.iterations.value.item()) + 1
    learning_rate = float(learning_rate)
    beta_1, beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
    epsilon = optimizer.epsilon / math.sqrt(1.0 - beta_2**step)
    weight_decay = float(optimizer.weight_decay or 0.0)
    groups = {}
    divisors = {}
    if grad_divisors is None:
        grad_divisors = [None] * len(grads)
    for grad, variable, divisor in zip(grads, variables, grad_divisors):
        value = variable.value
        grad = torch.as_tensor(grad, dtype=value.dtype, device=value.device)
        divisors[id(divisor)] = divisor
        momentum, velocity = keras_compat.adam_slots(optimizer, variable)
        key = (multiplier(variable),
               keras_compat.uses_weight_decay(optimizer, variable),
               value.dtype, value.device, id(divisor))
        group = groups.setdefault(key, ([], [], [], []))
        group[0].append(value)
        group[1].append(grad)
        group[2].append(momentum.value)
        group[3].append(velocity.value)
    step_tensor = torch.tensor(float(step), dtype=torch.float32)
    for (factor, decays, _, _, divisor), (params, grads_, means, squares) in (
            groups.items()):
        lr = learning_rate * factor
        # Keras decays by `wd * lr` with the unscaled lr.
        decay = weight_decay / factor if decays and factor else 0.0
        torch._fused_adamw_(
            params, grads_, means, squares, [], [step_tensor] * len(params),
            lr=lr, beta1=beta_1, beta2=beta_2, weight_decay=decay,
            eps=epsilon, amsgrad=False, maximize=False,
            grad_scale=divisors[divisor],
        )


def clips_by_global_norm(optimizer):
    """Whether `optimizer` clips by `global_clipnorm` (and no other way)."""
    clip = optimizer.global_clipnorm
    return bool(clip and clip > 0 and not optimizer.clipnorm
                and not optimizer.clipvalue)


def clips_in_kernel(optimizer, grads):
    """Whether the fused kernel can do `optimizer`'s clipping of `grads`.

    Clipping by global norm divides every gradient by one number; clipping
    each tensor by its norm (`clipnorm`) divides the few that exceed it,
    which the kernel can do where the norms are on the host anyway (CPU).
    Elsewhere `clip_gradients` scales them in foreach kernels.
    """
    if clips_by_global_norm(optimizer):
        return True
    return bool(_clips_by_tensor_norm(optimizer) and all(
        torch.as_tensor(g).device.type == "cpu" for g in grads))


@torch.no_grad()
def clip_divisors(optimizer, grads):
    """What Keras' clipping divides each gradient by, for `fused_adamw_step`.

    One entry per gradient: a scalar tensor, or `None` where clipping
    leaves the gradient as it is. `global_clipnorm`: Keras multiplies every
    gradient by `c * min(1 / total, 1 / c)`, i.e. divides by
    `max(total / c, 1)` (NaN when the total norm is NaN). `clipnorm`: each
    gradient is divided by `max(norm / c, 1)`, and only those whose norm
    exceeds `c` (or is NaN) get a divisor. Returns `None` unless
    `clips_in_kernel`.
    """
    if not clips_in_kernel(optimizer, grads):
        return None
    grads = [torch.as_tensor(g) for g in grads]
    if clips_by_global_norm(optimizer):
        clip = float(optimizer.global_clipnorm)
        total = torch.linalg.vector_norm(
            torch.stack(torch._foreach_norm(grads))).float()
        divisor = torch.maximum(total / clip, torch.ones_like(total))
        return [divisor] * len(grads)
    clip = float(optimizer.clipnorm)
    norms = torch.stack(torch._foreach_norm(grads)).float()
    divisors = torch.clamp(norms / clip, min=1.0)
    # A host read of the flags (the tensors are on the CPU): the
    # gradients within the clip, usually most, share one kernel call.
    within = (divisors <= 1.0).tolist()
    return [None if keep else divisor
            for keep, divisor in zip(within, divisors.unbind())]


def _clips_by_tensor_norm(optimizer):
    clip = optimizer.clipnorm
    return bool(clip and clip > 0 and not optimizer.global_clipnorm
                and not optimizer.clipvalue)


@torch.no_grad()
def clip_gradients(optimizer, grads):
    """Keras' per-tensor `clipnorm` in two foreach kernels.

    Keras clips each gradient with several small ops;
    `torch._foreach_norm` gives every norm in one call.
    Same formula: `g * c / max(norm, c)`. Returns `None` when the optimizer
    does not clip by per-tensor norm (`clip_divisors` covers
    `global_clipnorm`; Keras' own code, `clipvalue`).
    """
    if not _clips_by_tensor_norm(optimizer):
        return None
    grads = [torch.as_tensor(g) for g in grads]
    clip = float(optimizer.clipnorm)
    norms = torch.stack(torch._foreach_norm(grads))
    scales = clip / torch.clamp(norms, min=clip)
    return torch._foreach_mul(grads, list(scales.unbind()))
