"""Multi-head scaled dot-product attention over projected tokens."""

from keras import ops


def check_heads(hidden_dim, num_heads):
    """Raises `ValueError` unless `num_heads` divides `hidden_dim`.

    Example:
    ```python
    check_heads(64, num_heads=4)  # passes
    ```
    """
    if num_heads < 1 or hidden_dim % num_heads:
        raise ValueError(
            "hidden_dim must be divisible by num_heads. Received: "
            f"hidden_dim={hidden_dim}, num_heads={num_heads}"
        )


def check_dropout(dropout):
    """Raises `ValueError` unless `dropout` is in [0, 1)."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1). Received: {dropout}")


def key_padding_mask(padding_mask):
    """`(batch, keys)` bool → `(batch, 1, 1, keys)`, or `None` for `None`.

    A `False` key is hidden from every query of every head, as
    `ops.dot_product_attention`'s `mask` expects.

    Example:
    ```python
    key_padding_mask(np.array([[True, False]])).shape  # (1, 1, 1, 2)
    ```
    """
    if padding_mask is None:
        return None
    return ops.cast(padding_mask, "bool")[:, None, None, :]


def multi_head_attention(query, key, value, num_heads, padding_mask=None):
    """Attention of projected `query` tokens to `key`/`value` tokens.

    Args:
        query: float tensor `(batch, queries, dim)`.
        key: float tensor `(batch, keys, dim)`.
        value: float tensor `(batch, keys, dim)`.
        num_heads: int. Heads; divides `dim`.
        padding_mask: optional bool `(batch, keys)`; `False` keys are never
            attended to.

    Returns:
        `(batch, queries, dim)`: the heads' outputs side by side, before
        any output projection.

    Example:
    ```python
    x = np.random.rand(2, 5, 8).astype("float32")
    multi_head_attention(x, x, x, num_heads=2).shape  # (2, 5, 8)
    ```
    """
    dim = query.shape[-1]

    def heads(x):  # (B, T, D) -> (B, T, H, D/H)
        return ops.reshape(
            x, (-1, ops.shape(x)[1], num_heads, dim // num_heads))

    attended = ops.dot_product_attention(
        heads(query), heads(key), heads(value),
        mask=key_padding_mask(padding_mask),
    )  # (B, Tq, H, D/H)
    return ops.reshape(attended, (-1, ops.shape(query)[1], dim))
