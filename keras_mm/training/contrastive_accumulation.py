"""Exact gradient accumulation for in-batch contrastive losses.

Averaging the gradients of k micro-batches (the optimizer's
`gradient_accumulation_steps`) is wrong for CLIP/SigLIP: each micro-batch
only sees its own B-1 negatives. Here one `fit` batch of k·B examples is
split into k micro-batches and processed in three phases (the idea behind
open_clip's `--accum-freq`, Gao et al. "GradCache", 2021):

1. embed every micro-batch without keeping activations;
2. compute the loss on the concatenated k·B embeddings and its gradient
   w.r.t. the embeddings (and the logit scale);
3. re-run each micro-batch with gradients and backpropagate the cached
   embedding gradients (a vector-Jacobian product), summing into one update.

The result equals one step on the k·B batch (up to float rounding) while
only one micro-batch's activations are alive at a time. Each backend has its
own `train_step` body below; this module is the only place they differ.
Dropout masks differ between phases 1 and 3, so exactness assumes
`dropout=0` (as open_clip's accumulation does).
"""

import keras
from keras.src.trainers.data_adapters import data_adapter_utils


def accumulated_train_step(model, *args):
    """`train_step` of `model` (a `ContrastiveModel`) with k micro-batches.

    Called by `ContrastiveModel.train_step` when it was compiled with
    `accumulation_steps > 1`. The arguments are the backend's own
    `train_step` arguments (`(state, data)` on JAX, `(data,)` elsewhere).
    """
    backend = keras.config.backend()
    if backend == "jax":
        return _jax_train_step(model, *args)
    if backend == "tensorflow":
        return _tensorflow_train_step(model, *args)
    if backend == "torch":
        return _torch_train_step(model, *args)
    raise NotImplementedError(f"Unsupported backend: {backend}")


def _unpack(data):
    x, _, _ = data_adapter_utils.unpack_x_y_sample_weight(data)
    return x


def _batch_size(x):
    return next(iter(x.values())).shape[0]


def _tensorflow_train_step(model, data):
    import tensorflow as tf

    k = model.accumulation_steps
    x = _unpack(data)
    micro = {key: tf.split(value, k, axis=0) for key, value in x.items()}
    micro = [{key: micro[key][i] for key in x} for i in range(k)]
    variables = model.trainable_variables

    # 1. Embeddings of every micro-batch, no tape: no activations kept.
    outputs = [model(xi, training=True) for xi in micro]
    full = {
        key: tf.stop_gradient(tf.concat([o[key] for o in outputs], axis=0))
        for key in outputs[0]
    }
    keys = sorted(full)
    # 2. Full-batch loss; gradients w.r.t. the embeddings and the variables
    #    the loss reads directly (logit scale, regularisers).
    with tf.GradientTape() as tape:
        tape.watch([full[key] for key in keys])
        loss = model.compute_loss(x=x, y_pred=full, training=True)
        scaled = model.optimizer.scale_loss(loss)
    grads = tape.gradient(scaled, list(variables) + [full[key] for key in keys])
    embedding_grads = dict(zip(keys, grads[len(variables):]))
    grads = [
        tf.zeros_like(v) if g is None else g
        for v, g in zip(variables, grads[: len(variables)])
    ]
    cotangents = {
        key: tf.split(embedding_grads[key], k, axis=0) for key in keys
    }
    # 3. Re-run each micro-batch and backpropagate its cached gradients.
    for i, xi in enumerate(micro):
        with tf.GradientTape() as tape:
            out = model(xi, training=True)
            surrogate = tf.add_n([
                tf.reduce_sum(tf.cast(out[key], "float32")
                              * cotangents[key][i])
                for key in keys
            ])
        micro_grads = tape.gradient(surrogate, variables)
        grads = [
            g if mg is None else g + tf.cast(mg, g.dtype)
            for g, mg in zip(grads, micro_grads)
        ]
    model.optimizer.apply_gradients(zip(grads, variables))
    model._loss_tracker.update_state(loss, sample_weight=tf.shape(
        next(iter(x.values())))[0])
    return model.compute_metrics(x, None, full, sample_weight=None)


def _torch_train_step(model, data):
    import torch

    k = model.accumulation_steps
    x = _unpack(data)
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
    model._loss_tracker.update_state(loss.detach(),
                                     sample_weight=_batch_size(x))
    return model.compute_metrics(
        x, None, {k_: v.detach() for k_, v in full.items()},
        sample_weight=None,
    )


def _jax_train_step(model, state, data):
    import jax
    import jax.numpy as jnp

    (trainable, non_trainable, optimizer_vars, metrics_vars) = state
    k = model.accumulation_steps
    x = _unpack(data)
    batch = _batch_size(x)
    if batch % k:
        raise ValueError(
            f"The batch size ({batch}) must be a multiple of "
            f"accumulation_steps={k}."
        )
    # (k, B, ...): scanning over the leading axis keeps one micro-batch's
    # activations alive at a time (no cross-micro-batch fusion by XLA).
    stacked = {
        key: jnp.reshape(v, (k, batch // k) + tuple(v.shape[1:]))
        for key, v in x.items()
    }

    def embed(tv, xi):
        y, _ = model.stateless_call(tv, non_trainable, xi, training=True)
        return y

    # 1. Embeddings of every micro-batch.
    _, outputs = jax.lax.scan(
        lambda c, xi: (c, embed(trainable, xi)), None, stacked
    )
    full = {
        key: jnp.reshape(v, (batch,) + tuple(v.shape[2:]))
        for key, v in outputs.items()
    }

    # 2. Full-batch loss; gradients w.r.t. variables and embeddings.
    def loss_fn(tv, embeddings):
        mapping = (
            list(zip(model.trainable_variables, tv))
            + list(zip(model.non_trainable_variables, non_trainable))
            + list(zip(model.optimizer.variables, optimizer_vars))
        )
        with keras.StatelessScope(state_mapping=mapping):
            loss = model.compute_loss(x=x, y_pred=embeddings, training=True)
            scaled = model.optimizer.scale_loss(loss)
        return scaled, loss

    (_, loss), (grads, embedding_grads) = jax.value_and_grad(
        loss_fn, argnums=(0, 1), has_aux=True
    )(trainable, full)
    cotangents = {
        key: jnp.reshape(g, (k, batch // k) + tuple(g.shape[1:]))
        for key, g in embedding_grads.items()
    }

    # 3. Re-run each micro-batch; backpropagate its cached gradients.
    def micro_step(accumulated, inputs):
        xi, cot = inputs
        _, vjp = jax.vjp(lambda tv: embed(tv, xi), trainable)
        cot = {key: cot[key].astype(jnp.float32) for key in cot}
        (micro_grads,) = vjp(cot)
        return jax.tree.map(jnp.add, accumulated, micro_grads), None

    grads, _ = jax.lax.scan(micro_step, grads, (stacked, cotangents))
    trainable, optimizer_vars = model.optimizer.stateless_apply(
        optimizer_vars, grads, trainable
    )
    logs, metrics_vars = model._update_metrics_variables(
        metrics_vars, loss, x, None, full, None
    )
    return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)
