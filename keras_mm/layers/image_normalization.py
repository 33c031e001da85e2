"""Per-channel mean/std normalisation of [0, 255] images."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class ImageNormalization(keras.layers.Layer):
    """`(images / 255 - mean) / std`, per channel.

    Pretrained image towers are trained on images normalised with their
    data set's statistics (CLIP: `mean=(0.4815, 0.4578, 0.4082)`); keeping
    the step inside the encoder means every caller (the `tf.data`
    pipeline, `embed`, serving, a LiteRT export) feeds plain pixels.

    Args:
        mean: sequence of floats, one per channel, in [0, 1] units.
        std: sequence of floats, one per channel, in [0, 1] units.

    Call arguments:
        images: float tensor `(..., channels)` with values in [0, 255].

    Example:
    ```python
    normalize = keras_mm.layers.ImageNormalization((0.5,) * 3, (0.5,) * 3)
    normalize(np.full((1, 2, 2, 3), 255.0, "float32"))  # all 1.0
    ```
    """

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        if len(mean) != len(std):
            raise ValueError("mean and std need one value per channel. "
                             f"Received: mean={mean}, std={std}")
        if min(std) <= 0:
            raise ValueError(f"std must be positive. Received: std={std}")
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]

    def call(self, images):
        images = ops.cast(images, self.compute_dtype)
        # x / 255 - mean, then / std, as one multiply-add per channel.
        scale = ops.convert_to_tensor(
            [1.0 / (255.0 * s) for s in self.std], self.compute_dtype)
        offset = ops.convert_to_tensor(
            [-m / s for m, s in zip(self.mean, self.std)], self.compute_dtype)
        return images * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "std": self.std}
