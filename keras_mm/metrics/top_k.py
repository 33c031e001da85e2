"""Top-k classification accuracy over a score matrix (NumPy)."""

import numpy as np


def top_k_accuracy(scores, labels, k):
    """Fraction of rows whose true class is among the `k` best scores.

    Ties count against the row: the true class must beat enough others, so
    a constant score matrix gets accuracy 0 whenever `k < num_classes`.

    Args:
        scores: `(N, C)` array, higher is better.
        labels: `(N,)` int class ids.
        k: int.

    Example:
    ```python
    keras_mm.metrics.top_k_accuracy(np.eye(3), [0, 1, 1], k=1)  # 0.667
    ```
    """
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels, np.int64)
    true = scores[np.arange(len(labels)), labels][:, None]
    # Other classes scoring at least as high as the true one.
    ahead = np.sum(scores >= true, axis=1) - 1
    return float(np.mean(ahead < k))
