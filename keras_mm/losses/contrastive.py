"""Contrastive objectives over a batch of paired embeddings.

Positives sit on the diagonal of the similarity matrix; every other entry in
the row or column is an in-batch negative.
"""

from keras import ops


def clip_loss(logits, label_smoothing=0.0):
    """Symmetric InfoNCE (CLIP) over `(batch, batch)` logits.

    Args:
        logits: float tensor, `logits[i, j]` scores item i of modality A
            against item j of modality B.
        label_smoothing: float in [0, 1).

    Returns:
        Scalar: the mean of the A→B and B→A cross-entropies.

    Example:
    ```python
    keras_mm.losses.clip_loss(np.eye(4, dtype="float32") * 10.0)  # ≈ 0.0012
    ```

    References:
        Radford et al., "Learning Transferable Visual Models From Natural
        Language Supervision", 2021.
    """
    logits = ops.cast(logits, "float32")
    batch = ops.shape(logits)[0]
    labels = ops.one_hot(ops.arange(batch), batch)  # (B, B)
    if label_smoothing:
        labels = labels * (1.0 - label_smoothing) + label_smoothing / ops.cast(
            batch, "float32"
        )
    a_to_b = -ops.sum(labels * ops.log_softmax(logits, axis=1), axis=1)
    b_to_a = -ops.sum(labels * ops.log_softmax(logits, axis=0), axis=0)
    return (ops.mean(a_to_b) + ops.mean(b_to_a)) / 2.0


def siglip_loss(logits):
    """Pairwise sigmoid loss (SigLIP) over `(batch, batch)` logits.

    Each logit is a binary problem: +1 on the diagonal, -1 elsewhere. The
    sum over all pairs is divided by the batch size, as in big_vision.

    References:
        Zhai et al., "Sigmoid Loss for Language Image Pre-Training", 2023.
    """
    logits = ops.cast(logits, "float32")
    batch = ops.shape(logits)[0]
    signs = 2.0 * ops.eye(batch) - 1.0  # +1 positives, -1 negatives
    return -ops.sum(ops.log_sigmoid(signs * logits)) / ops.cast(
        batch, "float32"
    )


CONTRASTIVE_LOSSES = {"clip": clip_loss, "siglip": siglip_loss}
