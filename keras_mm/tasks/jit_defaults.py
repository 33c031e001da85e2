"""Per-backend choice of XLA for `compile(jit_compile="auto")`."""

import os

from keras_mm import backend

TF_XLA_ENV = "KERAS_MM_TF_XLA"


def resolve_jit_compile(model, jit_compile="auto", run_eagerly=False):
    """What `jit_compile="auto"` should mean for `model` on this backend.

    Keras' "auto" leaves TensorFlow without XLA on CPU-only machines, where
    XLA runs keras_mm's transformer towers much faster; the backend's `jit`
    module (`keras_mm/backend/tensorflow/jit.py`) turns it on when every
    layer supports it and no `tf.distribute` strategy is active (Keras
    keeps XLA off under one). Other backends and explicit values are left
    to Keras.

    Setting the environment variable `KERAS_MM_TF_XLA=0` keeps Keras' own
    "auto" on TensorFlow: XLA compiles for seconds per model, which a run
    of a few steps (a test, a smoke check) never wins back.

    Example:
    ```python
    model.compile(jit_compile=resolve_jit_compile(model))
    ```
    """
    if jit_compile != "auto" or run_eagerly:
        return jit_compile
    native = backend.native("jit")
    if native is None:
        return jit_compile
    if os.environ.get(TF_XLA_ENV, "1").strip().lower() in (
            "0", "false", "off", "no"):
        return jit_compile
    return native.resolve_auto(model)
