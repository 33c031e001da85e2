"""Eager gradients of a scalar function with `tf.GradientTape`."""

import tensorflow as tf


def value_and_grads(fn, variables):
    """`(value, grads)` of `fn()` w.r.t. the Keras `variables`.

    A gradient is None where `fn` does not read the variable.
    """
    with tf.GradientTape() as tape:
        value = fn()
    return value, tape.gradient(value, [v.value for v in variables])
