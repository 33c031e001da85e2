"""Pretrained checkpoints' image preprocessing: resize, centre crop.

What the reference libraries do to an image file before the model sees it,
run on the host with PIL as they run it (Hugging Face's image processors
and open_clip's torchvision transforms both resize PIL images with PIL),
so that keras_mm sees the same pixels. Mean/std normalisation is not here:
it is part of the image encoder (`keras_mm.layers.ImageNormalization`), so
an exported or served tower takes plain pixels.
"""

import io

import numpy as np

from keras_mm.api_export import keras_mm_export

RESAMPLE = {"nearest": 0, "bilinear": 2, "bicubic": 3, "lanczos": 1}
# Hugging Face's `PILImageResampling` integers, as preprocessor_config.json
# stores them.
_PIL_CODES = {code: name for name, code in RESAMPLE.items()}


@keras_mm_export
class ImagePreprocessor:
    """Image files, PIL images or arrays -> `(N, crop, crop, 3)` float32
    pixels in [0, 255].

    Args:
        size: int or `(height, width)`. An int resizes the shortest side
            to it, keeping the aspect ratio (CLIP); a pair resizes to
            exactly that (SigLIP, ViT).
        crop_size: optional int. Side of the centre crop after the resize.
        resample: str. `"bicubic"`, `"bilinear"`, `"nearest"`, `"lanczos"`.
        crop_rounding: str. Where an odd margin puts the extra pixel:
            `"floor"` (Hugging Face: top = margin // 2) or `"round"`
            (torchvision, open_clip: top = round(margin / 2)).

    Example:
    ```python
    preprocess = keras_mm.models.ImagePreprocessor(size=224, crop_size=224)
    pixels = preprocess(["cat.jpg", "dog.png"])  # (2, 224, 224, 3)
    ```
    """

    def __init__(self, size, crop_size=None, resample="bicubic",
                 crop_rounding="floor"):
        if resample not in RESAMPLE:
            raise ValueError(f"resample must be one of {sorted(RESAMPLE)}. "
                             f"Received: resample={resample!r}")
        if crop_rounding not in ("floor", "round"):
            raise ValueError("crop_rounding must be 'floor' or 'round'. "
                             f"Received: crop_rounding={crop_rounding!r}")
        self.size = size if isinstance(size, int) else tuple(size)
        self.crop_size = crop_size
        self.resample = resample
        self.crop_rounding = crop_rounding

    @property
    def output_size(self):
        """`(height, width)` of what `__call__` returns."""
        if self.crop_size:
            return (self.crop_size, self.crop_size)
        if isinstance(self.size, int):
            raise ValueError("A shortest-side resize without a crop has no "
                             "fixed output size")
        return self.size

    def __call__(self, images):
        """A list of paths, PIL images or `(H, W, 3)` arrays (or one
        `(N, H, W, 3)` array) -> `(N, height, width, 3)` float32."""
        if isinstance(images, np.ndarray) and images.ndim == 3:
            images = [images]
        return np.stack([self.preprocess_one(image) for image in images])

    def preprocess_one(self, image):
        """One image (path, encoded bytes, file object, PIL image or array) -> `(height, width, 3)`."""
        from PIL import Image

        if isinstance(image, (bytes, bytearray)):  # an encoded file
            image = io.BytesIO(image)
        if isinstance(image, str) or hasattr(image, "__fspath__") or hasattr(
                image, "read"):
            with Image.open(image) as opened:
                image = opened.convert("RGB")
        elif isinstance(image, np.ndarray):
            array = image
            if array.dtype != np.uint8:
                array = np.clip(np.round(array), 0, 255).astype(np.uint8)
            image = Image.fromarray(array)
        if image.mode != "RGB":
            image = image.convert("RGB")
        image = image.resize(self._resized_size(image.size),
                             resample=RESAMPLE[self.resample])
        pixels = np.asarray(image, dtype=np.float32)
        return self._centre_crop(pixels) if self.crop_size else pixels

    def _resized_size(self, width_height):
        """PIL's `(width, height)` after the resize."""
        width, height = width_height
        if not isinstance(self.size, int):
            return (self.size[1], self.size[0])
        short, long = sorted((width, height))
        new_short, new_long = self.size, int(self.size * long / short)
        return ((new_short, new_long) if width <= height
                else (new_long, new_short))

    def _centre_crop(self, pixels):
        height, width = pixels.shape[:2]
        crop = self.crop_size
        if height < crop or width < crop:
            # Both references pad with zeros around a too-small image.
            padded = np.zeros((max(height, crop), max(width, crop), 3),
                              np.float32)
            top, left = ((padded.shape[0] - height) // 2,
                         (padded.shape[1] - width) // 2)
            padded[top:top + height, left:left + width] = pixels
            pixels, height, width = padded, *padded.shape[:2]
        if self.crop_rounding == "round":
            top = int(round((height - crop) / 2.0))
            left = int(round((width - crop) / 2.0))
        else:
            top, left = (height - crop) // 2, (width - crop) // 2
        return pixels[top:top + crop, left:left + crop]

    @classmethod
    def from_hf_config(cls, config, source="preprocessor_config.json"):
        """From a Hugging Face `preprocessor_config.json` dict."""
        size = config.get("size", 224)
        if isinstance(size, dict):
            if "shortest_edge" in size:
                size = size["shortest_edge"]
            elif "height" in size and "width" in size:
                size = (size["height"], size["width"])
            else:
                raise ValueError(f"{source}: size {size} is not supported "
                                 "(expected shortest_edge or height/width)")
        crop = config.get("crop_size") if config.get(
            "do_center_crop", False) else None
        if isinstance(crop, dict):
            crop = crop["height"]
        resample = _PIL_CODES.get(config.get("resample", 3))
        if resample is None:
            raise ValueError(f"{source}: resample {config['resample']} is "
                             "not supported")
        if not config.get("do_resize", True):
            raise ValueError(f"{source}: do_resize false is not supported")
        return cls(size, crop, resample, crop_rounding="floor")

    def get_config(self):
        return {"size": self.size, "crop_size": self.crop_size,
                "resample": self.resample,
                "crop_rounding": self.crop_rounding}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
