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
    On jax the zeros are NumPy's (`np.zeros`: the operating system's zero
    pages, resident only once written) handed over without a copy, not
    `keras.ops.zeros`, which compiles a fill per weight shape and writes
    every weight before the checkpoint replaces it (0.8 s of a ViT-B/32
    CLIP's 1 s build). On torch and TensorFlow the variable is filled in
    place by the assign, so its memory is written either way (measured:
    no gain there).
    Only `keras.initializers` that draw at random (and on jax those that
    give zeros) are replaced (Glorot,
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
    on_jax = keras.backend.backend() == "jax"
    replaced = ((RandomInitializer, keras.initializers.Zeros) if on_jax
                else RandomInitializer)
    zeros = _jax_host_zeros if on_jax else "zeros"

    def add_weight(self, *args, **kwargs):
        initializer = kwargs.get("initializer")
        if initializer is not None and not args:
            resolved = keras.initializers.get(initializer)
            if isinstance(resolved, replaced):
                kwargs["initializer"] = zeros
        return original(self, *args, **kwargs)

    with _LOCK:
        keras.layers.Layer.add_weight = add_weight
        try:
            yield
        finally:
            keras.layers.Layer.add_weight = original


def _jax_host_zeros(shape, dtype=None):
    """Zeros as a jax array over `np.zeros`' memory (`device_put` takes an
    aligned host array without a copy on the CPU)."""
    import jax
    import keras
    import numpy as np

    from keras_mm.checkpoints.lazy_tensors import ALIGNMENT

    # Aligned like `lazy_tensors.aligned_empty`, but from `np.zeros` so
    # that the pages stay untouched (an aligned copy would write them).
    dtype = np.dtype(keras.backend.standardize_dtype(
        dtype or keras.config.floatx()))
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.zeros(size + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return jax.device_put(raw[start:start + size].view(dtype).reshape(shape))
