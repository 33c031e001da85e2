"""Keras AdamW's update as torch's fused CPU/GPU kernel (torch only).

Keras' torch AdamW runs about ten `torch._foreach_*` passes over the
weights per step; `torch._fused_adamw_` reads each weight, gradient and
moment once. The arithmetic is Keras': decoupled decay `1 - wd * lr`
before the step, and epsilon added to `sqrt(v)` before bias correction
(passed to torch as `epsilon / sqrt(1 - beta_2 ** t)`).
"""

import math

import torch


@torch.no_grad()
def fused_adamw_step(optimizer, grads, variables, learning_rate,
                     multiplier=lambda variable: 1.0, grad_divisor=None):
    """One AdamW update of `variables` in place, in fused kernels.

    Variables are grouped by learning-rate multiplier and by whether they
    decay; each group is one kernel call. `grad_divisor` (a scalar tensor,
    from `global_clip_divisor`) divides every gradient inside the kernel,
    which spares a separate pass over the gradients; the kernel writes the
    divided gradients back into `grads`.
    """
    step = int(optimizer.iterations.value.item()) + 1
    learning_rate = float(learning_rate)
    beta_1, beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
    epsilon = optimizer.epsilon / math.sqrt(1.0 - beta_2**step)
    weight_decay = float(optimizer.weight_decay or 0.0)
    groups = {}
    for grad, variable in zip(grads, variables):
        index = optimizer._get_variable_index(variable)
        value = variable.value
        grad = torch.as_tensor(grad, dtype=value.dtype, device=value.device)
        key = (multiplier(variable), optimizer._use_weight_decay(variable),
               value.dtype, value.device)
        group = groups.setdefault(key, ([], [], [], []))
        group[0].append(value)
        group[1].append(grad)
        group[2].append(optimizer._momentums[index].value)
        group[3].append(optimizer._velocities[index].value)
    step_tensor = torch.tensor(float(step), dtype=torch.float32)
    for (factor, decays, *_), (params, grads_, means, squares) in (
            groups.items()):
        lr = learning_rate * factor
        # Keras decays by `wd * lr` with the unscaled lr.
        decay = weight_decay / factor if decays and factor else 0.0
        torch._fused_adamw_(
            params, grads_, means, squares, [], [step_tensor] * len(params),
            lr=lr, beta1=beta_1, beta2=beta_2, weight_decay=decay,
            eps=epsilon, amsgrad=False, maximize=False,
            grad_scale=grad_divisor,
        )


def clips_by_global_norm(optimizer):
    """Whether `optimizer` clips by `global_clipnorm` (and no other way)."""
    clip = optimizer.global_clipnorm
    return bool(clip and clip > 0 and not optimizer.clipnorm
                and not optimizer.clipvalue)


@torch.no_grad()
def global_clip_divisor(optimizer, grads):
    """What Keras' `global_clipnorm` divides every gradient by.

    Keras multiplies by `c * min(1 / total, 1 / c)`; the divisor is its
    inverse, `max(total / c, 1)` (NaN when the total norm is NaN), for
    `fused_adamw_step`'s `grad_divisor`. Returns `None` unless the optimizer
    `clips_by_global_norm`.
    """
    if not clips_by_global_norm(optimizer):
        return None
    clip = optimizer.global_clipnorm
    grads = [torch.as_tensor(g) for g in grads]
    total = torch.linalg.vector_norm(
        torch.stack(torch._foreach_norm(grads))).float()
    return torch.maximum(total / float(clip), torch.ones_like(total))


@torch.no_grad()
def clip_gradients(optimizer, grads):
    """Keras' per-tensor `clipnorm` in two foreach kernels.

    Keras clips each gradient with ~8 small ops (≈300 op calls per step for
    a two-tower CLIP); `torch._foreach_norm` gives every norm in one call.
    Same formula: `g * c / max(norm, c)`. Returns `None` when the optimizer
    does not clip by per-tensor norm (`global_clip_divisor` covers
    `global_clipnorm`; Keras' own code, `clipvalue`).
    """
    if not optimizer.clipnorm or optimizer.clipnorm <= 0:
        return None
    grads = [torch.as_tensor(g) for g in grads]
    clip = float(optimizer.clipnorm)
    norms = torch.stack(torch._foreach_norm(grads))
    scales = clip / torch.clamp(norms, min=clip)
    return torch._foreach_mul(grads, list(scales.unbind()))
