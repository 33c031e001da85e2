"""The one home of backend-specific code.

Only modules below `keras_mm/backend/` ask which Keras backend is active or
import torch, jax or tensorflow as a compute framework (see ARCHITECTURE.md).
Everything else calls `native(topic)`: the active backend's fast path for
`topic`, or None when that backend has none, in which case the caller runs
its `keras.ops` code, which stays the reference the fast paths are tested
against.

Example:
```python
from keras_mm import backend

fast_block = backend.native("transformer_block")
if fast_block is not None and fast_block.supports(layer):
    return fast_block.call(layer, x)
```
"""

import functools
import importlib
import importlib.util

# Process settings a launcher applies before Keras starts (no Keras import).
from keras_mm.backend.host_allocator import OPT_OUT_ENV  # noqa: F401
from keras_mm.backend.host_allocator import allocator_is_tuned  # noqa: F401
from keras_mm.backend.host_allocator import allocator_mode  # noqa: F401
from keras_mm.backend.host_allocator import keras_backend  # noqa: F401
from keras_mm.backend.host_allocator import (  # noqa: F401
    reexec_with_tuned_allocator,
)
from keras_mm.backend.host_allocator import tuned_environ  # noqa: F401

BACKENDS = ("jax", "tensorflow", "torch")


def name():
    """The active Keras backend: "jax", "tensorflow" or "torch"."""
    import keras

    return keras.config.backend()


@functools.lru_cache(maxsize=None)
def _native_module(backend_name, topic):
    module_name = f"keras_mm.backend.{backend_name}.{topic}"
    if importlib.util.find_spec(module_name) is None:
        return None
    return importlib.import_module(module_name)


def native(topic):
    """`keras_mm.backend.<active backend>.<topic>`, or None if it has none."""
    return _native_module(name(), topic)
