"""TensorFlow's answer to `compile(jit_compile="auto")`."""

import tensorflow as tf

from keras_mm.backend import keras_compat


def resolve_auto(model):
    """True (XLA) for `model`, or "auto" to leave the choice to Keras.

    Keras' "auto" leaves TensorFlow without XLA on CPU-only machines,
    though XLA runs keras_mm's transformer towers much faster there. XLA
    is turned on when every layer supports it and no `tf.distribute`
    strategy is active (Keras keeps XLA off under one).
    """
    if tf.distribute.has_strategy() or keras_compat.distribute_strategy(
            model):
        return "auto"
    if all(layer.supports_jit
           for layer in keras_compat.flatten_layers(model)):
        return True
    return "auto"
