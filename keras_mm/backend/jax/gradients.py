"""Gradients of a scalar function with `jax.value_and_grad`."""

import jax
import keras


def value_and_grads(fn, variables):
    """`(value, grads)` of `fn()` w.r.t. the Keras `variables`.

    `fn` reads the variables; a `keras.StatelessScope` hands it the traced
    values instead, so JAX can differentiate it as a pure function.
    """

    def pure(values):
        mapping = list(zip(variables, values))
        with keras.StatelessScope(state_mapping=mapping):
            return fn()

    return jax.value_and_grad(pure)([v.value for v in variables])
