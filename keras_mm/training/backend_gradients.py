"""Eager gradients of a scalar function, one branch per backend.

This is the only module of `keras_mm.training` (with
`contrastive_accumulation.py`) that touches jax, tensorflow or torch. It is
used outside compiled `fit` steps, e.g. by the gradient-norm callback.
"""

import keras
import numpy as np


def compute_gradients(fn, variables):
    """Returns `(value, grads)` of the scalar `fn()` w.r.t. `variables`.

    Args:
        fn: callable without arguments returning a scalar tensor; it reads
            the Keras variables directly (e.g. calls a model).
        variables: list of Keras variables.

    Returns:
        `(float value, list of numpy arrays)`; a variable `fn` does not use
        gets zeros.

    Example:
    ```python
    value, grads = compute_gradients(lambda: ops.sum(model(x)),
                                     model.trainable_variables)
    ```
    """
    backend = keras.config.backend()
    variables = list(variables)
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = fn()
        grads = tape.gradient(value, [v.value for v in variables])
    elif backend == "torch":
        import torch

        value = fn()
        grads = torch.autograd.grad(
            value, [v.value for v in variables], allow_unused=True
        )
    elif backend == "jax":
        import jax

        def pure(values):
            mapping = list(zip(variables, values))
            with keras.StatelessScope(state_mapping=mapping):
                return fn()

        value, grads = jax.value_and_grad(pure)(
            [v.value for v in variables]
        )
    else:
        raise NotImplementedError(f"Unsupported backend: {backend}")
    grads = [
        np.zeros(v.shape, "float32") if g is None
        else np.asarray(keras.ops.convert_to_numpy(g), "float32")
        for v, g in zip(variables, grads)
    ]
    return float(keras.ops.convert_to_numpy(value)), grads


def global_norm(grads):
    """The global L2 norm of a list of numpy gradients."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
