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
    compiles its own sampler, and the sampler's temporaries raise the
    load's peak memory. Where the backend can wrap host memory
    (`wrap_host_zeros` of `keras_mm.backend.<backend>.variables`: jax and
    TensorFlow) the zeros are NumPy's (`np.zeros`: the operating system's
    zero pages, resident only once written) handed over without a copy,
    not `keras.ops.zeros`, which writes every weight before the
    checkpoint replaces it (on jax it also compiles a fill per weight
    shape). On torch the assign copies into the variable's memory, which
    is written either way, so plain zeros are used.
    Only `keras.initializers` that draw at random (and, where host zeros
    are used, those that give zeros) are replaced (Glorot,
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

    from keras_mm import backend
    from keras_mm.backend import keras_compat

    RandomInitializer = keras_compat.random_initializer_class()

    original = keras.layers.Layer.add_weight
    variables = backend.native("variables")
    zeros = _host_zeros if variables and variables.wrap_host_zeros else None
    replaced = ((RandomInitializer, keras.initializers.Zeros) if zeros
                else RandomInitializer)
    zeros = zeros or "zeros"

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


def _dtype(dtype):
    import keras

    return keras.backend.standardize_dtype(dtype or keras.config.floatx())


def _untouched_zeros(shape, dtype):
    """`np.zeros` aligned like `lazy_tensors.aligned_empty`, its pages left
    untouched (an aligned copy would write them); None for a dtype NumPy
    lacks (e.g. bfloat16 without ml_dtypes)."""
    import numpy as np

    from keras_mm.checkpoints.lazy_tensors import ALIGNMENT

    try:
        dtype = np.dtype(_dtype(dtype))
    except TypeError:
        return None
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.zeros(size + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start:start + size].view(dtype).reshape(shape)


def _host_zeros(shape, dtype=None):
    """Zeros as a backend tensor over `np.zeros`' untouched memory."""
    import keras

    from keras_mm import backend

    values = _untouched_zeros(shape, dtype)
    if values is None or not values.size or values.dtype.kind not in "fiu":
        return keras.ops.zeros(shape, _dtype(dtype))
    return backend.native("variables").wrap_host_zeros(values)
