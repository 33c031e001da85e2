"""Exact contrastive gradient accumulation as a TensorFlow `train_step`.

The three phases are described in `keras_mm.tasks.contrastive_accumulation`.
"""

import tensorflow as tf

from keras_mm.backend import keras_compat


def train_step(model, data):
    """One exact accumulated step on `model`, a `ContrastiveModel`."""
    k = model.accumulation_steps
    x, _, _ = keras_compat.unpack_x_y_sample_weight(data)
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
        key: tf.stack(tf.split(embedding_grads[key], k, axis=0))
        for key in keys
    }
    stacked = {key: tf.stack([m[key] for m in micro]) for key in x}

    # 3. Re-run each micro-batch and backpropagate its cached gradients, in
    #    a loop: unrolled, XLA ran the k taped passes side by side and held
    #    every micro-batch's activations at once (more than the plain step).
    def micro_step(i, grads):
        xi = {key: tf.gather(stacked[key], i) for key in stacked}
        with tf.GradientTape() as tape:
            out = model(xi, training=True)
            surrogate = tf.add_n([
                tf.reduce_sum(tf.cast(out[key], "float32")
                              * tf.gather(cotangents[key], i))
                for key in keys
            ])
        micro_grads = tape.gradient(surrogate, variables)
        return i + 1, [
            g if mg is None else g + tf.cast(mg, g.dtype)
            for g, mg in zip(grads, micro_grads)
        ]

    _, grads = tf.while_loop(lambda i, _: i < k, micro_step,
                             [tf.constant(0), grads], maximum_iterations=k)
    model.optimizer.apply_gradients(zip(grads, variables))
    keras_compat.loss_tracker(model).update_state(
        loss, sample_weight=tf.shape(next(iter(x.values())))[0])
    return model.compute_metrics(x, None, full, sample_weight=None)
