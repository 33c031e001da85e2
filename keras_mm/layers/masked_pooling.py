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
        if padding_mask is None:
            padding_mask = ops.ones(ops.shape(inputs)[:2], "bool")
        mask = ops.cast(padding_mask, inputs.dtype)  # (B, T)
        if self.mode == "mean":
            total = ops.sum(inputs * mask[:, :, None], axis=1)
            count = ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
            return total / count
        # eot: the last real token, at index (number of real tokens - 1).
        # A one-hot selection keeps this a matmul-friendly op on every
        # backend and in LiteRT (no dynamic gather).
        last = ops.maximum(ops.sum(ops.cast(padding_mask, "int32"), 1) - 1, 0)
        select = ops.one_hot(last, ops.shape(inputs)[1], dtype=inputs.dtype)
        return ops.sum(inputs * select[:, :, None], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
