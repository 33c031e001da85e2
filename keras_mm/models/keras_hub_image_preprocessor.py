"""keras-hub's image resize (`ImageConverter`) for image files, shared by
the keras-hub CLIP, SigLIP and ViT preset loaders."""

import numpy as np

from keras_mm.api_export import keras_mm_export
from keras_mm.models.image_preprocessor import RESAMPLE
from keras_mm.models.image_preprocessor import ImagePreprocessor


@keras_mm_export
class KerasHubImagePreprocessor:
    """Image files, PIL images or arrays -> `(N, height, width, 3)` float32
    pixels in [0, 255], resized as a keras-hub `ImageConverter` resizes.

    keras-hub presets resize with `keras.layers.Resizing` (by default
    bilinear, no antialiasing, cropping to the aspect ratio first), not
    with PIL; this runs that same layer on each decoded image (as float32,
    as `keras.utils.img_to_array` gives it). The converter's
    `scale`/`offset` are not applied here: they become the image encoder's
    `image_mean`/`image_std`.

    Args:
        image_size: `(height, width)`.
        interpolation: str. As `keras.layers.Resizing`.
        antialias: bool.
        crop_to_aspect_ratio: bool.
        pad_to_aspect_ratio: bool.

    Example:
    ```python
    preprocess = keras_mm.models.KerasHubImagePreprocessor((224, 224))
    pixels = preprocess(["cat.jpg"])  # (1, 224, 224, 3)
    ```
    """

    def __init__(self, image_size, interpolation="bilinear", antialias=False,
                 crop_to_aspect_ratio=True, pad_to_aspect_ratio=False):
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of crop_to_aspect_ratio and "
                             "pad_to_aspect_ratio can be true")
        self.image_size = tuple(int(s) for s in image_size)
        self.interpolation = interpolation
        self.antialias = bool(antialias)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self._resizing = None

    @classmethod
    def from_converter(cls, converter, source="the preset"):
        """The resize of a keras-hub `ImageConverter` (its `image_size`,
        `interpolation`, `antialias` and aspect-ratio options).

        Example:
        ```python
        converter = keras_hub.layers.CLIPImageConverter.from_preset(folder)
        preprocess = KerasHubImagePreprocessor.from_converter(converter)
        ```
        """
        if converter.image_size is None:
            raise ValueError(f"{source}: the image converter has no "
                             "image_size (images would not be resized)")
        if getattr(converter, "data_format", "channels_last") != (
                "channels_last"):
            raise ValueError(f"{source}: only a channels_last image "
                             "converter is supported; got "
                             f"{converter.data_format}")
        return cls(converter.image_size,
                   interpolation=converter.interpolation,
                   antialias=converter.antialias,
                   crop_to_aspect_ratio=converter.crop_to_aspect_ratio,
                   pad_to_aspect_ratio=converter.pad_to_aspect_ratio)

    @property
    def output_size(self):
        return self.image_size

    def pil_equivalent(self):
        """The nearest PIL `ImagePreprocessor`, for writing formats whose
        processors resize with PIL (Hugging Face, open_clip): cropping to
        a square's aspect ratio becomes a shortest-side resize and a
        centre crop. Pixels then match only for images already at the
        model's size."""
        height, width = self.image_size
        if self.pad_to_aspect_ratio or self.interpolation not in RESAMPLE:
            raise ValueError(
                "This keras-hub image resize (interpolation="
                f"{self.interpolation!r}, pad_to_aspect_ratio="
                f"{self.pad_to_aspect_ratio}) has no PIL equivalent")
        if self.crop_to_aspect_ratio:
            if height != width:
                raise ValueError("A keras-hub crop to a non-square "
                                 f"{height}x{width} has no PIL equivalent")
            return ImagePreprocessor(height, height, self.interpolation)
        return ImagePreprocessor((height, width), None, self.interpolation)

    def _resize(self, pixels):
        import keras

        if self._resizing is None:
            self._resizing = keras.layers.Resizing(
                *self.image_size, interpolation=self.interpolation,
                antialias=self.antialias,
                crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                data_format="channels_last", dtype="float32")
        return np.asarray(keras.ops.convert_to_numpy(
            self._resizing(pixels)), np.float32)

    # Batches as the PIL preprocessor does, through `preprocess_one`.
    __call__ = ImagePreprocessor.__call__

    def preprocess_one(self, image):
        """One image (path, encoded bytes, file object, PIL image or
        array) -> `(height, width, 3)` float32 (as serving calls it)."""
        return self._resize(_pixels(image))

    def get_config(self):
        return {"image_size": self.image_size,
                "interpolation": self.interpolation,
                "antialias": self.antialias,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def pil_images(images):
    """keras-hub's resize as the nearest PIL `ImagePreprocessor`, for the
    writers of formats that resize with PIL (Hugging Face, open_clip);
    any other preprocessor as given.

    Example:
    ```python
    pil_images(KerasHubImagePreprocessor((224, 224))).resample  # "bilinear"
    ```
    """
    if isinstance(images, KerasHubImagePreprocessor):
        return images.pil_equivalent()
    return images


def statistics_from_converter(scale, offset):
    """keras-hub's `x * scale + offset` as mean/std in [0, 1] units.

    `(x / 255 - mean) / std == x * scale + offset` gives
    `std = 1 / (255 * scale)` and `mean = -offset * std`.

    Example:
    ```python
    statistics_from_converter(1 / 127.5, -1.0)  # ([0.5] * 3, [0.5] * 3)
    ```
    """
    scale = np.broadcast_to(np.asarray(
        1.0 if scale is None else scale, np.float64), (3,))
    offset = np.broadcast_to(np.asarray(
        0.0 if offset is None else offset, np.float64), (3,))
    std = 1.0 / (255.0 * scale)
    return [float(m) for m in -offset * std], [float(s) for s in std]


def converter_preprocessing(converter, source, image_size=None):
    """`(preprocessor, image_mean, image_std)` of a keras-hub
    `ImageConverter`: its resize (`keras.layers.Resizing`, as the
    converter runs it) and its `x * scale + offset` as mean/std. With
    `image_size`, the resize must give `(image_size, image_size)`.

    Example:
    ```python
    converter = keras_hub.layers.CLIPImageConverter.from_preset(folder)
    images, mean, std = converter_preprocessing(converter, folder, 224)
    ```
    """
    if converter is None:
        raise FileNotFoundError(f"No image converter in {source} (keras-hub "
                                "writes image_converter.json)")
    mean, std = statistics_from_converter(converter.scale, converter.offset)
    images = KerasHubImagePreprocessor.from_converter(converter, source)
    if image_size is not None and images.output_size != (
            image_size, image_size):
        raise ValueError(f"{source}: the image converter resizes to "
                         f"{images.output_size}; the vision encoder takes "
                         f"{(image_size, image_size)}")
    return images, mean, std


def _pixels(image):
    """A path, encoded bytes, file object, PIL image or array ->
    `(H, W, 3)` float32."""
    import io

    from PIL import Image

    if isinstance(image, (bytes, bytearray)):  # an encoded file
        image = io.BytesIO(image)
    if isinstance(image, str) or hasattr(image, "__fspath__") or hasattr(
            image, "read"):
        with Image.open(image) as opened:
            return np.asarray(opened.convert("RGB"), np.float32)
    if isinstance(image, np.ndarray):
        return image.astype(np.float32)
    return np.asarray(image.convert("RGB"), np.float32)
