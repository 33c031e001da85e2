"""Exact contrastive gradient accumulation as a JAX stateless `train_step`.

The three phases are described in `keras_mm.tasks.contrastive_accumulation`.
"""

import jax
import jax.numpy as jnp
import keras

from keras_mm.backend import keras_compat


def train_step(model, state, data):
    """One exact accumulated step on `model`, a `ContrastiveModel`."""
    (trainable, non_trainable, optimizer_vars, metrics_vars) = state
    k = model.accumulation_steps
    x, _, _ = keras_compat.unpack_x_y_sample_weight(data)
    batch = next(iter(x.values())).shape[0]
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
    logs, metrics_vars = keras_compat.update_metrics_variables(
        model, metrics_vars, loss, x, None, full, None)
    return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)
