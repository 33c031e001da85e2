"""Learned absolute position embeddings added to a token sequence."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned `(sequence_length, dim)` table to its input.

    Args:
        sequence_length: int. Maximum number of positions.

    Call arguments:
        inputs: float tensor `(batch, tokens, dim)` with
            `tokens <= sequence_length`.

    Example:
    ```python
    add_positions = keras_mm.layers.PositionEmbedding(16)
    y = add_positions(np.zeros((2, 10, 8), "float32"))  # (2, 10, 8)
    ```
    """

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="embeddings",
        )

    def call(self, inputs):
        tokens = ops.shape(inputs)[1]
        positions = ops.cast(self.embeddings[:tokens], inputs.dtype)
        return inputs + positions[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length}
