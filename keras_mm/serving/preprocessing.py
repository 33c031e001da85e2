"""Request → model inputs, with the same code the training data uses.

Text goes through `keras_mm.data.TextPreprocessor` (the tokenizer the model
was trained with); images are decoded with Pillow to uint8 RGB, resized to
the model's input size, and fed as float32 in [0, 255], the layout of
`keras_mm.datasets.make_image_text_pairs`.
"""

import contextlib
import hashlib
import io
import warnings

import numpy as np


# Pixels an image may declare (width × height), read from its header
# before any decoding: a small file can declare a huge canvas.
DEFAULT_MAX_PIXELS = 16_000_000


class RequestError(Exception):
    """A bad request: `status` (4xx, or 503 when busy), a one-line message
    for the client and optional response `headers` (e.g. Retry-After)."""

    def __init__(self, message, status=400, headers=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


def normalize_text(text, lowercase=True, max_chars=512):
    """Validates one text and returns its normalised form (the cache key).

    Whitespace is collapsed (the WordPiece tokenizer splits on it anyway)
    and, if the tokenizer lowercases, so is the text: both leave the
    token ids unchanged.
    """
    if not isinstance(text, str):
        raise RequestError(
            f"text must be a string, got {type(text).__name__}", 422
        )
    check_unicode(text)
    normalized = " ".join(text.split())
    if not normalized:
        raise RequestError("text is empty", 422)
    if len(normalized) > max_chars:
        raise RequestError(
            f"text is {len(normalized)} characters long; the limit is "
            f"{max_chars}", 422,
        )
    return normalized.lower() if lowercase else normalized


def check_unicode(text):
    """Refuses text the tokenizer cannot encode (lone surrogates, which a
    JSON `\\ud800` escape or a form field can carry)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RequestError(
            f"text is not valid Unicode: a lone surrogate at character "
            f"{error.start}", 422,
        ) from None


def check_pixels(width, height, max_pixels):
    """Refuses an image whose declared size exceeds `max_pixels` (413)."""
    if max_pixels is not None and width * height > max_pixels:
        raise RequestError(
            f"the image declares {width}x{height} pixels "
            f"({width * height / 1e6:.1f} Mpx); the limit is "
            f"{max_pixels / 1e6:g} Mpx", 413,
        )


def decode_image(data, image_size, image_preprocessor=None,
                 max_pixels=DEFAULT_MAX_PIXELS):
    """Encoded image bytes (PNG, JPEG, …) → uint8 `(S, S, 3)` RGB.

    With an `image_preprocessor` (a pretrained checkpoint's), its resize
    and centre crop replace the plain resize. The size declared in the
    header is checked against `max_pixels` (None: no limit) before any
    pixel is decoded.

    Example:
    ```python
    pixels = decode_image(encode_png(np.zeros((8, 8, 3), "uint8")), 4)
    pixels.shape  # (4, 4, 3)
    ```
    """
    from PIL import Image

    try:
        # Our own limit applies; Pillow's bomb warning is noise here.
        with warnings_ignored(Image.DecompressionBombWarning):
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise RequestError(f"image too large: {error}", 413) from None
    except Exception as error:
        raise RequestError(
            f"could not decode image ({type(error).__name__}: {error})"
        ) from None
    with image:
        check_pixels(*image.size, max_pixels)
        return _decoded(image, image_size, image_preprocessor)


def _decoded(image, image_size, image_preprocessor):
    from PIL import Image

    try:
        with warnings_ignored(Image.DecompressionBombWarning):
            image = image.convert("RGB")
            if image_preprocessor is not None:
                return image_preprocessor.preprocess_one(image).astype(
                    np.uint8)
            if image.size != (image_size, image_size):
                image = image.resize((image_size, image_size),
                                     Image.Resampling.BILINEAR)
            return np.asarray(image, np.uint8)
    except Exception as error:
        raise RequestError(
            f"could not decode image ({type(error).__name__}: {error})"
        ) from None


@contextlib.contextmanager
def warnings_ignored(category):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category)
        yield


def encode_png(pixels):
    """uint8 `(H, W, 3)` → PNG bytes (lossless, so it decodes exactly)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def image_key(pixels):
    """Cache key of a decoded image: a hash of its pixels."""
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


def image_inputs(pixels_list):
    """A list of uint8 images → the model's `{"images": float32}` batch."""
    return {"images": np.stack(pixels_list).astype(np.float32)}


def text_inputs(preprocessor, texts):
    """A list of texts → `{"token_ids", "padding_mask"}` numpy batch."""
    out = preprocessor(list(texts))
    return {
        "token_ids": np.asarray(out["token_ids"], np.int32),
        "padding_mask": np.asarray(out["padding_mask"], bool),
    }


def audio_array(values, shape):
    """JSON numbers → float32 array of the model's audio input `shape`."""
    try:
        array = np.asarray(values, np.float32)
    except (TypeError, ValueError):
        raise RequestError("audio must be an array of numbers", 422) from None
    if array.shape != tuple(shape):
        raise RequestError(
            f"audio has shape {array.shape}; the model expects "
            f"{tuple(shape)}", 422,
        )
    return array
