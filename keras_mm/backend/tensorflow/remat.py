"""Which rematerialisation works inside TensorFlow's compiled `fit`."""


def compiled_fit_mode(mode):
    """The remat mode to use for `mode` on TensorFlow.

    Only `"activations"` works inside a compiled `fit` (KERAS_NOTES), so
    every mode falls back to it.
    """
    del mode
    return "activations"
