"""RoBERTa's byte-level BPE tokenizer, packed as `<s> … </s> <pad>…`."""

import json
import os

import keras

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class RobertaTextPreprocessor(keras.layers.Layer):
    """Strings -> `{"token_ids", "padding_mask"}` as RoBERTa tokenizes them.

    Each string becomes `<s> tokens </s>`, truncated to `sequence_length`
    with both kept, then padded with `<pad>` (id 1 in RoBERTa's
    vocabulary). The tokenizer is keras-hub's `RobertaTokenizer` (GPT-2's
    byte-level BPE, no lower-casing, no prefix space: transformers'
    `RobertaTokenizer` defaults); its vocabulary is saved with a `.keras`
    file.

    Args:
        tokenizer: `keras_hub.tokenizers.RobertaTokenizer`.
        sequence_length: int. Length of every output row.

    Call arguments:
        texts: a str, a list of str or a string tensor.

    Example:
    ```python
    preprocess = keras_mm.models.roberta.RobertaTextPreprocessor.from_files(
        "roberta-base/vocab.json", "roberta-base/merges.txt",
        sequence_length=64)
    preprocess(["a photo of a cat"])["token_ids"].shape  # (1, 64)
    ```
    """

    def __init__(self, tokenizer, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self._packer = None

    def _pack(self, token_ids):
        # Built on first use: a reloaded tokenizer gets its vocabulary
        # (saved as assets), and so its special ids, only after
        # `from_config`.
        if self._packer is None:
            import keras_hub

            self._packer = keras_hub.layers.StartEndPacker(
                sequence_length=self.sequence_length,
                start_value=self.tokenizer.start_token_id,
                end_value=self.tokenizer.end_token_id,
                pad_value=self.tokenizer.pad_token_id,
                return_padding_mask=True,
            )
        return self._packer(token_ids)

    def call(self, texts):
        import tensorflow as tf

        texts = tf.convert_to_tensor(texts)
        token_ids, padding_mask = self._pack(self.tokenizer(texts))
        return {"token_ids": tf.cast(token_ids, "int32"),
                "padding_mask": tf.cast(padding_mask, "bool")}

    def __call__(self, texts):
        import numpy as np

        # Tokenizing runs in TensorFlow on every backend (as keras-hub's
        # preprocessing does); callers get NumPy.
        outputs = self.call(texts)
        return {k: np.asarray(v) for k, v in outputs.items()}

    @classmethod
    def from_files(cls, vocabulary_path, merges_path, sequence_length):
        """From a Hugging Face folder's `vocab.json` and `merges.txt`."""
        import keras_hub

        for path in (vocabulary_path, merges_path):
            if not os.path.exists(path):
                raise FileNotFoundError(f"No tokenizer file at {path}")
        with open(vocabulary_path, encoding="utf-8") as f:
            vocabulary = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            merges = [line.rstrip("\n") for line in f
                      if line.strip() and not line.startswith("#version")]
        tokenizer = keras_hub.tokenizers.RobertaTokenizer(
            vocabulary=vocabulary, merges=merges)
        return cls(tokenizer, sequence_length)

    @classmethod
    def from_tokenizer_json(cls, path, sequence_length):
        """From a Hugging Face `tokenizer.json` (a BPE model)."""
        import keras_hub

        with open(path, encoding="utf-8") as f:
            model = json.load(f).get("model", {})
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: expected a BPE tokenizer model, got "
                             f"{model.get('type')!r}")
        merges = [m if isinstance(m, str) else " ".join(m)
                  for m in model["merges"]]
        tokenizer = keras_hub.tokenizers.RobertaTokenizer(
            vocabulary=model["vocab"], merges=merges)
        return cls(tokenizer, sequence_length)

    def get_config(self):
        return {
            **super().get_config(),
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "sequence_length": self.sequence_length,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["tokenizer"] = keras.saving.deserialize_keras_object(
            config["tokenizer"])
        return cls(**config)
