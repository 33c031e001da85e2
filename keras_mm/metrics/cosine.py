"""Row-wise cosine similarity and unit normalization of embeddings (NumPy)."""

import numpy as np

EPSILON = 1e-12


def l2_normalize(x):
    """Scales each row of `x` to unit L2 norm (zero rows stay zero).

    Example:
    ```python
    l2_normalize(np.array([[3.0, 4.0]]))  # [[0.6, 0.8]]
    ```
    """
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPSILON)


def row_cosine(a, b):
    """Cosine similarity of each row of `a` with the same row of `b`.

    Used to compare an exported or quantized model's embeddings with the
    float Keras model's, row by row.

    Example:
    ```python
    row_cosine([[1.0, 0.0], [1.0, 1.0]], [[2.0, 0.0], [1.0, -1.0]])
    # [1.0, 0.0]
    ```
    """
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    return np.sum(a * b, axis=-1) / (
        np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + EPSILON)
