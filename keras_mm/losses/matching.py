"""Image–text matching (ITM): binary match / no-match classification."""

from keras import ops


def itm_loss(logits, labels):
    """Cross-entropy of `(pairs, 2)` match logits against 0/1 labels.

    Args:
        logits: float tensor `(pairs, 2)`; column 1 scores "matched".
        labels: int tensor `(pairs,)`, 1 for a true pair, 0 for a negative.

    Returns:
        Scalar mean cross-entropy.

    Example:
    ```python
    keras_mm.losses.itm_loss(np.array([[0.0, 4.0], [4.0, 0.0]], "float32"),
                             np.array([1, 0]))  # ≈ 0.018
    ```

    References:
        Li et al., "Align before Fuse" (ALBEF), 2021.
    """
    logits = ops.cast(logits, "float32")
    targets = ops.one_hot(ops.cast(labels, "int32"), 2)
    return -ops.mean(ops.sum(targets * ops.log_softmax(logits, axis=-1), -1))
