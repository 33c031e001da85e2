"""keras_mm: multimodal models on Keras 3 (JAX, TensorFlow, PyTorch).

Subpackages load on first access, so `keras_mm.cli` can pick the Keras
backend before Keras is imported.
"""

import importlib

# Loaded now, not through `__getattr__` below: modules inside keras_mm write
# `from keras_mm import backend`, which must not import every subpackage.
from keras_mm import backend  # noqa: F401  (imports no framework)

__version__ = "0.1.0"

_SUBPACKAGES = (
    "backend",
    "checkpoints",
    "compression",
    "data",
    "datasets",
    "distribution",
    "evaluation",
    "export",
    "fusion",
    "heads",
    "inference",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "presets",
    "serving",
    "tasks",
    "training",
)


def import_all():
    """Imports every subpackage, registering all serializable classes."""
    for name in _SUBPACKAGES:
        module = importlib.import_module(f"keras_mm.{name}")
        getattr(module, "load_layers", lambda: None)()


def load_model(filepath, **kwargs):
    """`keras.saving.load_model` with every keras_mm class registered.

    Example:
    ```python
    model = keras_mm.load_model("quickstart_out/model.keras")
    ```
    """
    import keras

    from keras_mm.models.keras_archive import check_keras_archive

    check_keras_archive(filepath)
    import_all()
    return keras.saving.load_model(filepath, **kwargs)


def __getattr__(name):
    if name in _SUBPACKAGES:
        # First access registers every class, so any saved model loads.
        import_all()
        return importlib.import_module(f"keras_mm.{name}")
    raise AttributeError(f"module 'keras_mm' has no attribute {name!r}")


def __dir__():
    return sorted((*globals(), *_SUBPACKAGES))
