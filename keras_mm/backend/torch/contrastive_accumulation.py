"""Exact contrastive gradient accumulation as a torch `train_step`.

The three phases are described in `keras_mm.tasks.contrastive_accumulation`.
"""

import torch

from keras_mm.backend import keras_compat


def train_step(model, data):
    """One exact accumulated step on `model`, a `ContrastiveModel`."""
    k = model.accumulation_steps
    x, _, _ = keras_compat.unpack_x_y_sample_weight(data)
    micro = {key: torch.chunk(value, k, dim=0) for key, value in x.items()}
    micro = [{key: micro[key][i] for key in x} for i in range(k)]
    variables = model.trainable_variables
    model.zero_grad()

    # 1. Embeddings of every micro-batch without autograd.
    with torch.no_grad():
        outputs = [model(xi, training=True) for xi in micro]
    full = {
        key: torch.cat([o[key] for o in outputs], dim=0).detach()
        .requires_grad_(True)
        for key in outputs[0]
    }
    keys = sorted(full)
    # 2. Full-batch loss and its gradients.
    loss = model.compute_loss(x=x, y_pred=full, training=True)
    scaled = model.optimizer.scale_loss(loss)
    grads = torch.autograd.grad(
        scaled,
        [v.value for v in variables] + [full[key] for key in keys],
        allow_unused=True,
    )
    cotangents = {
        key: torch.chunk(g, k, dim=0)
        for key, g in zip(keys, grads[len(variables):])
    }
    grads = [
        torch.zeros_like(v.value) if g is None else g
        for v, g in zip(variables, grads[: len(variables)])
    ]
    # 3. Re-run each micro-batch and backpropagate its cached gradients.
    for i, xi in enumerate(micro):
        out = model(xi, training=True)
        surrogate = sum(
            torch.sum(out[key].float() * cotangents[key][i]) for key in keys
        )
        micro_grads = torch.autograd.grad(
            surrogate, [v.value for v in variables], allow_unused=True
        )
        grads = [
            g if mg is None else g + mg.to(g.dtype)
            for g, mg in zip(grads, micro_grads)
        ]
    with torch.no_grad():
        model.optimizer.apply(grads, variables)
    keras_compat.loss_tracker(model).update_state(
        loss.detach(), sample_weight=next(iter(x.values())).shape[0])
    return model.compute_metrics(
        x, None, {k_: v.detach() for k_, v in full.items()},
        sample_weight=None,
    )
