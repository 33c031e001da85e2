"""Eager gradients of a scalar function, on any backend.

Each backend differentiates in its own way
(`keras_mm/backend/<name>/gradients.py`); this module gives them one
signature and NumPy results. It is used outside compiled `fit` steps, e.g.
by the gradient-norm callback.
"""

import keras
import numpy as np

from keras_mm import backend


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
    variables = list(variables)
    value, grads = backend.native("gradients").value_and_grads(fn, variables)
    grads = [
        np.zeros(v.shape, "float32") if g is None
        else np.asarray(keras.ops.convert_to_numpy(g), "float32")
        for v, g in zip(variables, grads)
    ]
    return float(keras.ops.convert_to_numpy(value)), grads


def global_norm(grads):
    """The global L2 norm of a list of numpy gradients."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
