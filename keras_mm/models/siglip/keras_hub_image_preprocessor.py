"""keras-hub's image resize (`ImageConverter`) for image files."""

import numpy as np

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class KerasHubImagePreprocessor:
    """Image files, PIL images or arrays -> `(N, height, width, 3)` float32
    pixels in [0, 255], resized as a keras-hub `ImageConverter` resizes.

    keras-hub presets resize with `keras.layers.Resizing` (by default
    bilinear, no antialiasing, cropping to the aspect ratio first), not
    with PIL; this runs that same layer on each decoded image. The
    converter's `scale`/`offset` are not applied here: they become the
    image encoder's `image_mean`/`image_std`.

    Args:
        image_size: `(height, width)`.
        interpolation: str. As `keras.layers.Resizing`.
        antialias: bool.
        crop_to_aspect_ratio: bool.
        pad_to_aspect_ratio: bool.

    Example:
    ```python
    preprocess = keras_mm.models.siglip.KerasHubImagePreprocessor((224, 224))
    pixels = preprocess(["cat.jpg"])  # (1, 224, 224, 3)
    ```
    """

    def __init__(self, image_size, interpolation="bilinear", antialias=False,
                 crop_to_aspect_ratio=True, pad_to_aspect_ratio=False):
        self.image_size = tuple(int(s) for s in image_size)
        self.interpolation = interpolation
        self.antialias = bool(antialias)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self._resizing = None

    @property
    def output_size(self):
        return self.image_size

    def _resize(self, pixels):
        import keras

        if self._resizing is None:
            self._resizing = keras.layers.Resizing(
                *self.image_size, interpolation=self.interpolation,
                antialias=self.antialias,
                crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                pad_to_aspect_ratio=self.pad_to_aspect_ratio)
        return np.asarray(keras.ops.convert_to_numpy(
            self._resizing(pixels)), np.float32)

    def __call__(self, images):
        """A list of paths, PIL images or `(H, W, 3)` arrays (or one
        `(N, H, W, 3)` array) -> `(N, height, width, 3)` float32."""
        if isinstance(images, np.ndarray) and images.ndim == 3:
            images = [images]
        return np.stack([self._resize(_pixels(image)) for image in images])

    def get_config(self):
        return {"image_size": self.image_size,
                "interpolation": self.interpolation,
                "antialias": self.antialias,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _pixels(image):
    """A path, PIL image or array -> `(H, W, 3)` uint8 (arrays as given)."""
    from PIL import Image

    if isinstance(image, np.ndarray):
        return image
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        with Image.open(image) as opened:
            return np.asarray(opened.convert("RGB"))
    return np.asarray(image.convert("RGB"))
