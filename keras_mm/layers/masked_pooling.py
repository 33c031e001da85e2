"""Pooling of a token sequence into one vector, honouring padding."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export

POOLING_MODES = ("cls", "mean", "eot")


@keras_mm_export
class MaskedPooling(keras.layers.Layer):
    """Pools `(batch, tokens, dim)` into `(batch, dim)`.

    Args:
        mode: str. `"cls"` takes the first token, `"mean"` averages the valid
            tokens, `"eot"` takes the last valid token (CLIP's end-of-text).

    Call arguments:
        inputs: float tensor `(batch, tokens, dim)`.
        padding_mask: optional bool tensor `(batch, tokens)`, `True` where
            the token is real. Without it every token counts as valid.

    Example:
    ```python
    pool = keras_mm.layers.MaskedPooling("mean")
    pooled = pool(np.ones((2, 5, 8), "float32"))  # (2, 8)
    ```
    """

    def __init__(self, mode="mean", **kwargs):
        super().__init__(**kwargs)
        if mode not in POOLING_MODES:
            raise ValueError(
                f"mode must be one of {POOLING_MODES}. Received: mode={mode!r}"
            )
        self.mode = mode

    def call(self, inputs, padding_mask=None):
        if self.mode == "cls":
            return inputs[:, 0]
        if self.mode == "eot":
            # A one-hot selection keeps this a matmul-friendly op on every
            # backend and in LiteRT (no dynamic gather).
            select = ops.one_hot(self.pooled_index(inputs, padding_mask),
                                 ops.shape(inputs)[1], dtype=inputs.dtype)
            return ops.sum(inputs * select[:, :, None], axis=1)
        if padding_mask is None:
            padding_mask = ops.ones(ops.shape(inputs)[:2], "bool")
        mask = ops.cast(padding_mask, inputs.dtype)  # (B, T)
        total = ops.sum(inputs * mask[:, :, None], axis=1)
        count = ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        return total / count

    def pooled_index(self, inputs, padding_mask=None):
        """The token each sequence pools, int32 `(batch,)`, or `None`.

        `"cls"` pools token 0 and `"eot"` the last real token (index =
        number of real tokens - 1); `"mean"` pools no single token.
        """
        if self.mode == "mean":
            return None
        first = ops.zeros_like(ops.cast(inputs[:, 0, 0], "int32"))
        if self.mode == "cls":
            return first
        if padding_mask is None:
            return first + (ops.shape(inputs)[1] - 1)
        count = ops.sum(ops.cast(padding_mask, "int32"), axis=1)
        return ops.maximum(count - 1, 0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
