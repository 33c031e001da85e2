"""Embeds texts and images with a saved model, a preset or a checkpoint."""

import os

import numpy as np

TEXT_KEYS = ("token_ids", "padding_mask")
IMAGE_KEYS = ("images",)
KINDS = ("text", "image", "audio")


class Embedder:
    """Turns an ordered list of texts and image files into embedding rows.

    Args:
        model: a `ContrastiveModel` (uses its `"text"` / `"image"` /
            `"audio"` towers, unit-norm embeddings, and its own
            `preprocessors` where it has them), a single encoder (its
            `pooled_output`), a `keras_mm.models.PretrainedTower` or a
            `keras_mm.checkpoints.LoadedCheckpoint`.
        preprocessor: `keras_mm.data.TextPreprocessor` for text; a
            checkpoint's own is used when this is `None`.

    Example:
    ```python
    embedder = keras_mm.inference.Embedder.from_spec("model.keras")
    rows = embedder.embed([("text", "a red circle"), ("image", "cat.png")])
    ```
    """

    def __init__(self, model, preprocessor=None):
        from keras_mm.models.bert.loaded_checkpoint import LoadedCheckpoint
        from keras_mm.models.pretrained_tower import PretrainedTower

        # The checkpoint's own preprocessing, by modality.
        self.raw_preprocessors = dict(getattr(model, "preprocessors", {}))
        if isinstance(model, PretrainedTower):
            if model.preprocessor is not None:
                self.raw_preprocessors = {model.modality: model.preprocessor}
            self.towers = {model.modality: model.encoder}
            self.model, self.preprocessor = model.encoder, preprocessor
            return
        if isinstance(model, LoadedCheckpoint):
            preprocessor = preprocessor or model.preprocessor
            model = model.encoder
        self.model = model
        self.preprocessor = preprocessor
        encoders = getattr(model, "encoders", None)
        if isinstance(encoders, dict):  # A multimodal task model.
            self.towers = {m: encoders[m] for m in KINDS if m in encoders}
        else:
            keys = tuple(getattr(model, "input_keys", ()))
            kind = {TEXT_KEYS: "text", IMAGE_KEYS: "image"}.get(keys)
            if kind is None:
                raise ValueError(
                    f"{type(model).__name__} embeds neither text nor images "
                    f"(input_keys={keys})"
                )
            self.towers = {kind: model}

    @classmethod
    def from_spec(cls, spec, vocabulary=None):
        """`spec`: a `.keras` file, a checkpoint folder or a preset name.

        `vocabulary` is a `vocab.txt` for text; by default the `vocab.txt`
        beside a `.keras` file, or the checkpoint's own, is used.
        """
        import keras_mm
        from keras_mm.models.bert.load_checkpoint import load_checkpoint
        from keras_mm.presets import list_presets

        from keras_mm.models import is_pretrained_checkpoint
        from keras_mm.models import load_pretrained

        if is_pretrained_checkpoint(spec):
            model = load_pretrained(spec)
        elif os.path.isdir(spec):
            model = load_checkpoint(spec)
        elif os.path.isfile(spec):
            model = keras_mm.load_model(spec)
            beside = os.path.join(os.path.dirname(spec), "vocab.txt")
            if vocabulary is None and os.path.exists(beside):
                vocabulary = beside
        elif spec in list_presets():
            model = keras_mm.presets.from_preset(spec)
        elif spec.endswith(".keras") or os.sep in spec:
            raise FileNotFoundError(f"No model at {spec}")
        else:
            raise ValueError(
                f"--model {spec!r} is not a .keras file, a checkpoint folder "
                f"or a preset name (presets: {', '.join(list_presets())})"
            )
        embedder = cls(model)
        if vocabulary is not None:
            embedder.preprocessor = embedder._vocabulary(vocabulary)
        return embedder

    def _vocabulary(self, path):
        from keras_mm.data.text_preprocessor import TextPreprocessor

        if not os.path.exists(path):
            raise FileNotFoundError(f"No vocabulary at {path}")
        length = 128
        if "text" in self.towers:
            encoder = self.towers["text"]
            length = encoder.input["token_ids"].shape[1] or min(
                length, getattr(encoder, "sequence_length", length))
        return TextPreprocessor.from_vocabulary_file(path, length)

    def _tower(self, kind):
        if kind not in self.towers:
            raise ValueError(
                f"This model cannot embed {kind}s; it has "
                f"{sorted(self.towers)} only"
            )
        return self.towers[kind]

    def _raw(self, kind, values):
        """Rows from the checkpoint's own preprocessing of raw values."""
        preprocess = self.raw_preprocessors[kind]
        inputs = preprocess(list(values))
        if not isinstance(inputs, dict):
            inputs = {self._tower(kind).input_keys[0]: inputs}
        # Tokenizers hand back TensorFlow tensors on some paths; the model
        # takes NumPy on every backend.
        inputs = {k: np.asarray(v, "bool" if k == "padding_mask" else
                                "int32" if k == "token_ids" else None)
                  for k, v in inputs.items()}
        return self._run(kind, inputs)

    def _run(self, kind, inputs):
        import keras

        if kind in getattr(self.model, "encoders", {}):
            # convert_to_numpy: a torch tensor that requires grad refuses
            # np.asarray.
            return keras.ops.convert_to_numpy(
                self.model.encode(kind, inputs)).astype("float32")
        out = self._tower(kind).predict_on_batch(inputs)
        return np.asarray(out["pooled_output"], "float32")

    def embed_texts(self, texts):
        """`(len(texts), dim)` float32."""
        encoder = self._tower("text")
        if self.preprocessor is None and "text" in self.raw_preprocessors:
            return self._raw("text", texts)
        if self.preprocessor is None:
            raise ValueError(
                "Text needs a vocabulary: pass --vocab vocab.txt (or put "
                "vocab.txt beside the .keras file)"
            )
        batch = self.preprocessor(list(texts))
        token_ids = np.asarray(batch["token_ids"], "int32")
        vocabulary_size = getattr(encoder, "vocabulary_size", None)
        if vocabulary_size and token_ids.max() >= vocabulary_size:
            raise ValueError(
                f"The vocabulary has token ids up to {token_ids.max()} but "
                f"the text encoder has only {vocabulary_size} embeddings"
            )
        return self._run("text", {
            "token_ids": token_ids,
            "padding_mask": np.asarray(batch["padding_mask"], "bool"),
        })

    def embed_images(self, paths):
        """`(len(paths), dim)` float32 for image files (any PIL format)."""
        from PIL import Image

        for path in paths:
            if not os.path.exists(path):
                raise FileNotFoundError(f"No image at {path}")
        if "image" in self.raw_preprocessors:
            return self._raw("image", paths)
        height, width = self._tower("image").input["images"].shape[1:3]
        images = []
        for path in paths:
            with Image.open(path) as image:
                image = image.convert("RGB").resize((width, height),
                                                    Image.BILINEAR)
                images.append(np.asarray(image, "float32"))
        return self._run("image", {"images": np.stack(images)})

    def embed_audio(self, paths):
        """`(len(paths), dim)` float32 for WAV files, through the
        checkpoint's own audio preprocessing."""
        from keras_mm.data.media import read_wav

        self._tower("audio")
        if "audio" not in self.raw_preprocessors:
            raise ValueError("This model has no audio preprocessing to read "
                             "WAV files with")
        expected = getattr(self.raw_preprocessors["audio"], "sampling_rate",
                           16000)
        waveforms = []
        for path in paths:
            if not os.path.exists(path):
                raise FileNotFoundError(f"No audio at {path}")
            waveform, rate = read_wav(path)
            if rate != expected:
                raise ValueError(f"{path}: sampled at {rate} Hz; the model "
                                 f"expects {expected} Hz")
            waveforms.append(waveform)
        return self._raw("audio", waveforms)

    def embed(self, items):
        """`items`: `[("text", str) | ("image", path) | ("audio", path)]`
        → rows in order."""
        rows = [None] * len(items)
        for kind, method in (("text", self.embed_texts),
                             ("image", self.embed_images),
                             ("audio", self.embed_audio)):
            where = [i for i, (k, _) in enumerate(items) if k == kind]
            if where:
                for i, row in zip(where, method([items[i][1]
                                                 for i in where])):
                    rows[i] = row
        return np.stack(rows).astype("float32")
