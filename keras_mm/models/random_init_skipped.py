"""Building a model whose weights a checkpoint will overwrite, without
drawing random initial values for them."""

import contextlib
import threading

_LOCK = threading.Lock()


@contextlib.contextmanager
def random_init_skipped():
    """Layers built inside start their randomly initialised weights at zero.

    A loader builds the model and then assigns every weight from the
    checkpoint, so the random draw is wasted: on jax each new shape
    compiles its own sampler (12-22 s of a ViT-B/32 CLIP's load on 2
    cores) and the sampler's temporaries raise the load's peak memory.
    Only `keras.initializers` that draw at random are replaced (Glorot,
    He, RandomNormal, ...); constants (a logit scale's initial value, a
    norm's ones) are kept, as are initializers given as plain functions.
    The layers' configs are untouched (a saved model still records its
    own initializers).

    `keras.layers.Layer.add_weight` is patched for the duration, for the
    whole process: do not build other models in other threads meanwhile.

    Example:
    ```python
    with random_init_skipped():
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
    float(keras.ops.sum(abs(layer.kernel)))  # 0.0
    ```
    """
    import keras
    from keras.src.initializers.random_initializers import RandomInitializer

    original = keras.layers.Layer.add_weight

    def add_weight(self, *args, **kwargs):
        initializer = kwargs.get("initializer")
        if initializer is not None and not args:
            resolved = keras.initializers.get(initializer)
            if isinstance(resolved, RandomInitializer):
                kwargs["initializer"] = "zeros"
        return original(self, *args, **kwargs)

    with _LOCK:
        keras.layers.Layer.add_weight = add_weight
        try:
            yield
        finally:
            keras.layers.Layer.add_weight = original
