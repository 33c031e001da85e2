"""A contrastive model together with what turns raw captions and image
files into its encoders' inputs: what evaluation runs on."""

import io
import os

import numpy as np

from keras_mm.evaluation.encoding import encode_batches
from keras_mm.evaluation.encoding import text_inputs


def model_file(path):
    """`path`, or `path/model.keras` when `path` is a run folder."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model at {path}")
    inside = os.path.join(path, "model.keras")
    return inside if os.path.isdir(path) and os.path.isfile(inside) else path


class EvaluationModel:
    """An image–text `ContrastiveModel` that embeds captions and images.

    A self-contained model (a checkpoint loaded by
    `keras_mm.models.load_pretrained`, or a `.keras` file saved from one)
    carries `model.preprocessors["text"]` and `["image"]`: captions go
    through its tokenizer and image files through its own
    `keras_mm.models.ImagePreprocessor`, so a CLIP checkpoint is evaluated
    at its own resolution and crop. An older model without them takes a
    `TextPreprocessor` (e.g. from the `vocab.txt` it was trained with) and
    has its images resized to the image encoder's input size.

    Args:
        model: a `keras_mm.tasks.ContrastiveModel` with `"image"` and
            `"text"` encoders.
        text_preprocessor: optional callable, list of str ->
            `{"token_ids", "padding_mask"}`; default: the model's own.
        image_preprocessor: optional callable, list of media (paths, bytes,
            arrays) -> `(N, H, W, 3)` pixels in [0, 255]; default: the
            model's own, else a resize to the encoder's input size.
        vocabulary: optional str. The `vocab.txt` behind
            `text_preprocessor`, recorded in reports.

    Example:
    ```python
    evaluator = keras_mm.evaluation.EvaluationModel.load("run/model.keras")
    images = evaluator.embed_images(["cat.png", "dog.jpg"])  # (2, D)
    texts = evaluator.embed_texts(["a photo of a cat."])  # (1, D)
    ```
    """

    def __init__(self, model, text_preprocessor=None, image_preprocessor=None,
                 vocabulary=None):
        encoders = getattr(model, "encoders", None) or {}
        if not {"image", "text"} <= set(encoders):
            raise ValueError(
                f"{getattr(model, 'name', type(model).__name__)} is not an "
                "image–text contrastive model (needs 'image' and 'text' "
                f"encoders; it has {sorted(encoders) or 'none'})")
        own = dict(getattr(model, "preprocessors", None) or {})
        self.model = model
        self.text_preprocessor = text_preprocessor or own.get("text")
        if self.text_preprocessor is None:
            raise ValueError(
                "The model has no text preprocessor of its own; give it the "
                "vocab.txt it was trained with")
        self.own_image_preprocessor = (image_preprocessor is None
                                       and "image" in own)
        self.image_preprocessor = image_preprocessor or own.get("image")
        self.vocabulary = vocabulary
        shape = encoders["image"].input["images"].shape
        self.image_size = (shape[1], shape[2])

    @classmethod
    def of(cls, model):
        """`model` itself when already an `EvaluationModel`, else wrapped
        (it must carry its own preprocessors)."""
        return model if isinstance(model, cls) else cls(model)

    @classmethod
    def load(cls, path, vocabulary=None):
        """From a `.keras` file, a run folder holding `model.keras`, or a
        checkpoint `load_pretrained` reads.

        A model without its own text preprocessor needs `vocabulary`, by
        default the `vocab.txt` beside the model.
        """
        path = model_file(path)
        import keras_mm
        from keras_mm.models import is_pretrained_checkpoint
        from keras_mm.models import load_pretrained
        from keras_mm.models import supported_formats

        if os.path.isfile(path) and path.endswith(".keras"):
            model = keras_mm.load_model(path, compile=False)
        elif is_pretrained_checkpoint(path):
            model = load_pretrained(path)
        else:
            raise ValueError(
                f"{path} is neither a .keras model nor a checkpoint keras_mm "
                f"reads ({', '.join(supported_formats())})")
        own = getattr(model, "preprocessors", None) or {}
        if "text" in own and vocabulary is None:
            return cls(model)
        if vocabulary is None:
            vocabulary = os.path.join(os.path.dirname(os.path.abspath(path)),
                                      "vocab.txt")
        if not os.path.exists(vocabulary):
            raise FileNotFoundError(
                f"No vocabulary at {vocabulary} (a model without its own "
                "tokenizer must be evaluated with the vocab.txt it was "
                "trained with)")
        from keras_mm.data.text_preprocessor import TextPreprocessor

        encoders = getattr(model, "encoders", None) or {}
        length = getattr(encoders.get("text"), "sequence_length", 32)
        preprocessor = TextPreprocessor.from_vocabulary_file(
            vocabulary, sequence_length=length)
        return cls(model, text_preprocessor=preprocessor,
                   vocabulary=os.path.abspath(vocabulary))

    def describe(self):
        """What a report records about the preprocessing."""
        return {
            "text": "vocab.txt" if self.vocabulary else type(
                self.text_preprocessor).__name__,
            "image": (self.image_preprocessor.get_config()
                      if hasattr(self.image_preprocessor, "get_config")
                      else f"resize to {self.image_size[0]}x"
                      f"{self.image_size[1]}"),
        }

    def pixels(self, media):
        """`(N, H, W, 3)` float32 in [0, 255] for a list of image paths,
        encoded bytes or arrays, as the model's image encoder takes them."""
        if not len(media):
            return np.zeros((0, *self.image_size, 3), "float32")
        return np.stack([self._one(item) for item in media]).astype("float32")

    def _one(self, item):
        from keras_mm.data.errors import DataError
        from keras_mm.data.media import decode_image

        if self.image_preprocessor is not None:
            name = item if isinstance(item, str) else "<image bytes>"
            try:
                if isinstance(item, (bytes, bytearray)):  # e.g. from a tar
                    from PIL import Image

                    with Image.open(io.BytesIO(item)) as image:
                        item = image.convert("RGB")
                return self.image_preprocessor([item])[0]
            except Exception as error:  # PIL raises many types.
                raise DataError(name, None, "cannot read image "
                                f"({type(error).__name__}: {error})",
                                kind="undecodable") from None
        if isinstance(item, np.ndarray):
            if item.shape[:2] == self.image_size:
                return item
            from PIL import Image

            image = Image.fromarray(np.asarray(item, "uint8"))
            height, width = self.image_size
            return np.asarray(image.resize((width, height),
                                           Image.Resampling.BILINEAR))
        if self.image_size[0] != self.image_size[1]:
            raise ValueError("Non-square image encoders need an image "
                             "preprocessor")
        return decode_image(item, self.image_size[0])

    def embed_pixels(self, pixels, batch_size=64):
        """Unit-norm embeddings `(N, D)` of pixels `(N, H, W, 3)`."""
        return encode_batches(self.model, "image",
                              {"images": np.asarray(pixels, "float32")},
                              batch_size)

    def embed_images(self, media, batch_size=64):
        """Unit-norm embeddings `(N, D)` of image files (or bytes, arrays),
        decoded a batch at a time so that only one batch is in memory."""
        rows = [self.embed_pixels(self.pixels(media[i:i + batch_size]),
                                  batch_size)
                for i in range(0, len(media), batch_size)]
        if not rows:
            raise ValueError("No images to embed")
        return np.concatenate(rows)

    def embed_texts(self, texts, batch_size=64):
        """Unit-norm embeddings `(N, D)` of a list of str."""
        rows = []
        for i in range(0, len(texts), max(batch_size, 256)):
            chunk = list(texts[i:i + max(batch_size, 256)])
            rows.append(encode_batches(
                self.model, "text",
                text_inputs(self.text_preprocessor, chunk), batch_size))
        if not rows:
            raise ValueError("No texts to embed")
        return np.concatenate(rows)
