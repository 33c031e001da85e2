"""Registration of public classes so saved `.keras` files reload anywhere."""

import keras

PACKAGE = "keras_mm"


def keras_mm_export(cls):
    """Registers `cls` as serializable under the `keras_mm>` namespace.

    Example:
    ```python
    @keras_mm_export
    class MyLayer(keras.layers.Layer):
        ...
    ```
    """
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
