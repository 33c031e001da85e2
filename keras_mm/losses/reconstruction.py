"""Masked patch prediction: regress the pixels of hidden patches."""

from keras import ops


def masked_patch_loss(predictions, targets, patch_mask):
    """Mean squared error over the masked patches only.

    Args:
        predictions: float `(batch, patches, values)`.
        targets: float `(batch, patches, values)`.
        patch_mask: bool `(batch, patches)`, `True` where the patch was
            hidden from the encoder.

    Returns:
        Scalar: the mean per-value squared error of masked patches.

    References:
        Xie et al., "SimMIM", 2022; He et al., "Masked Autoencoders", 2022.
    """
    error = ops.mean(
        ops.square(ops.cast(predictions, "float32")
                   - ops.cast(targets, "float32")), axis=-1)  # (B, N)
    weights = ops.cast(patch_mask, "float32")
    return ops.sum(error * weights) / ops.maximum(ops.sum(weights), 1.0)
