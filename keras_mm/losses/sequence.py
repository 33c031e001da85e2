"""Token-level objectives: next-token (captioning) and masked tokens."""

from keras import ops


def masked_token_loss(logits, labels, weights):
    """Weighted mean cross-entropy and accuracy over token predictions.

    Args:
        logits: float tensor `(batch, tokens, vocabulary)`.
        labels: int tensor `(batch, tokens)`.
        weights: tensor `(batch, tokens)`; 0 drops a position (padding,
            unmasked tokens).

    Returns:
        `(loss, accuracy)`, two scalars averaged over weighted positions.

    Example:
    ```python
    loss, acc = keras_mm.losses.masked_token_loss(
        logits, labels, padding_mask)
    ```
    """
    logits = ops.cast(logits, "float32")
    weights = ops.cast(weights, "float32")
    labels = ops.cast(labels, "int32")
    log_probs = ops.log_softmax(logits, axis=-1)
    # Pick each label's log-probability: (B, T).
    picked = ops.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]
    total = ops.maximum(ops.sum(weights), 1.0)
    loss = -ops.sum(picked * weights) / total
    correct = ops.cast(
        ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels),
        "float32")
    return loss, ops.sum(correct * weights) / total


def caption_loss(logits, token_ids, padding_mask):
    """Teacher-forced next-token loss: position t predicts token t + 1.

    Args:
        logits: float `(batch, tokens, vocabulary)` from a causal decoder
            fed `token_ids`.
        token_ids: int `(batch, tokens)`, starting with the start token.
        padding_mask: bool `(batch, tokens)`.

    Returns:
        `(loss, accuracy)` over every real next token.
    """
    return masked_token_loss(
        logits[:, :-1], token_ids[:, 1:], padding_mask[:, 1:])
