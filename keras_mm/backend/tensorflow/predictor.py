"""`CompiledPredictor`'s TensorFlow call: a `tf.function`, XLA-compiled
unless `jit_compile=False`."""

import tensorflow as tf


def compiled_call(model, jit_compile=True):
    """`call(inputs)`: `model`'s inference outputs through a `tf.function`."""
    return tf.function(lambda inputs: model(inputs, training=False),
                       jit_compile=jit_compile, reduce_retracing=True)
