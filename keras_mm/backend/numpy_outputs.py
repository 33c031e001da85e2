"""Model outputs (any backend's tensors, any structure) as NumPy arrays."""

import keras
import numpy as np


def to_numpy_tree(outputs):
    """`outputs` with every tensor replaced by a NumPy array.

    Args:
        outputs: a tensor, or a nested dict/list/tuple of tensors, from any
            backend.

    Returns:
        The same structure of `np.ndarray`.

    Example:
    ```python
    to_numpy_tree({"a": keras.ops.ones((2,))})  # {"a": array([1., 1.])}
    ```
    """
    return keras.tree.map_structure(
        lambda x: np.asarray(keras.ops.convert_to_numpy(x)), outputs)
