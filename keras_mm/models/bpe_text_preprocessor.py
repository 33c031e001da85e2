"""A keras-hub byte-pair tokenizer packed into fixed-length token ids.

CLIP and RoBERTa tokenize the same way up to their special tokens: a
byte-level BPE (`vocab.json` + `merges.txt`, or a `tokenizer.json`), then
`start tokens end`, truncated with both kept and padded. Subclasses name
the keras-hub tokenizer class and their padding id.
"""

import json
import os

import keras

from keras_mm.backend import keras_compat
from keras_mm.constructor_config import deserialized


def read_bpe_files(vocabulary_path, merges_path):
    """`(vocabulary dict, merges list)` from `vocab.json` + `merges.txt`."""
    for path in (vocabulary_path, merges_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No tokenizer file at {path}")
    with open(vocabulary_path, encoding="utf-8") as f:
        vocabulary = json.load(f)
    with open(merges_path, encoding="utf-8") as f:
        merges = [line.rstrip("\n") for line in f
                  if line.strip() and not line.startswith("#version")]
    return vocabulary, merges


def read_bpe_tokenizer_json(path):
    """`(vocabulary dict, merges list)` from a Hugging Face
    `tokenizer.json` whose model is a BPE."""
    with open(path, encoding="utf-8") as f:
        model = json.load(f).get("model", {})
    if model.get("type") != "BPE":
        raise ValueError(f"{path}: expected a BPE tokenizer model, got "
                         f"{model.get('type')!r}")
    merges = [m if isinstance(m, str) else " ".join(m)
              for m in model["merges"]]
    return model["vocab"], merges


def with_vocabulary(tokenizer, vocabulary, merges):
    """`tokenizer` (a keras-hub BPE tokenizer built without a vocabulary)
    given `vocabulary` and `merges`, without Keras' attribute tracking.

    A Keras layer wraps every dict and list set on it in a tracking proxy,
    visiting each element to find variables or layers, which for CLIP's
    49k tokens and 48k merges dominated building the tokenizer. Strings
    hold no variables, so nothing is
    lost; only `tokenizer.vocabulary` / `.merges` stay a plain dict and
    list. The TensorFlow lookup tables are built as before.

    Example:
    ```python
    tokenizer = with_vocabulary(keras_hub.tokenizers.CLIPTokenizer(),
                                vocabulary, merges)
    ```
    """
    # Keras' own tracking would wrap the dict (and on TensorFlow so would
    # TF's `AutoTrackable`); the `tokenizers` library refuses the wrapper.
    with keras_compat.untracked_setattr(tokenizer):
        tokenizer.set_vocabulary_and_merges(vocabulary, merges)
    return tokenizer


class BPETextPreprocessor(keras.layers.Layer):
    """Strings -> `{"token_ids", "padding_mask"}` through a keras-hub BPE
    tokenizer and a `StartEndPacker`.

    Subclasses set `tokenizer_class` (the keras-hub class name under
    `keras_hub.tokenizers`) and may override `pad_id`.

    Args:
        tokenizer: the keras-hub tokenizer; its vocabulary is saved with a
            `.keras` file (keras-hub saves it as an asset).
        sequence_length: int. Length of every output row.

    Call arguments:
        texts: a str, a list of str or a string tensor.
    """

    tokenizer_class = None

    def __init__(self, tokenizer, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        # Built on first use: a tokenizer restored from a `.keras` file has
        # its vocabulary (an asset), so its special ids, only after the
        # constructor has run.
        self._packer = None

    def start_id(self):
        return self.tokenizer.start_token_id

    def pad_id(self):
        return self.tokenizer.pad_token_id

    def packing_mask(self, padding_mask):
        """The padding mask the encoder gets (all of it, by default); None
        attends to every token."""
        return padding_mask

    def pack(self, token_ids):
        """`(token_ids, padding_mask)`, fixed length, with special ids."""
        # A method, not a property: Keras' saving walks a layer's
        # attributes, and reading one would build the packer before a
        # reloaded tokenizer has its vocabulary.
        if self._packer is None:
            import keras_hub

            self._packer = keras_hub.layers.StartEndPacker(
                sequence_length=self.sequence_length,
                start_value=self.start_id(),
                end_value=self.tokenizer.end_token_id,
                pad_value=self.pad_id(),
                return_padding_mask=True,
            )
        return self._packer(token_ids)

    def call(self, texts):
        from keras_mm.data import tf_graph

        token_ids, padding_mask = self.pack(
            self.tokenizer(tf_graph.string_tensor(texts)))
        return tf_graph.text_model_inputs(token_ids,
                                          self.packing_mask(padding_mask))

    def __call__(self, texts):
        import numpy as np

        # Tokenizing runs in TensorFlow on every backend (as keras-hub's
        # preprocessing does); callers get NumPy.
        outputs = self.call(texts)
        return {k: np.asarray(v) for k, v in outputs.items()}

    @classmethod
    def _tokenizer(cls, vocabulary, merges):
        import keras_hub

        make = getattr(keras_hub.tokenizers, cls.tokenizer_class)
        return with_vocabulary(make(), vocabulary, merges)

    @classmethod
    def from_files(cls, vocabulary_path, merges_path, sequence_length,
                   **kwargs):
        """From a Hugging Face folder's `vocab.json` and `merges.txt`."""
        tokenizer = cls._tokenizer(*read_bpe_files(vocabulary_path,
                                                   merges_path))
        return cls(tokenizer, sequence_length, **kwargs)

    @classmethod
    def from_tokenizer_json(cls, path, sequence_length, **kwargs):
        """From a Hugging Face `tokenizer.json` (a BPE model)."""
        tokenizer = cls._tokenizer(*read_bpe_tokenizer_json(path))
        return cls(tokenizer, sequence_length, **kwargs)

    @classmethod
    def from_folder(cls, folder, sequence_length, **kwargs):
        """From a Hugging Face folder's `vocab.json` + `merges.txt`, else
        its `tokenizer.json`."""
        vocabulary = os.path.join(folder, "vocab.json")
        merges = os.path.join(folder, "merges.txt")
        if os.path.exists(vocabulary) or os.path.exists(merges):
            return cls.from_files(vocabulary, merges, sequence_length,
                                  **kwargs)
        tokenizer_json = os.path.join(folder, "tokenizer.json")
        if os.path.exists(tokenizer_json):
            return cls.from_tokenizer_json(tokenizer_json, sequence_length,
                                           **kwargs)
        raise FileNotFoundError(
            f"No tokenizer in {folder}: expected vocab.json + merges.txt or "
            "tokenizer.json")

    def get_config(self):
        return {
            **super().get_config(),
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "sequence_length": self.sequence_length,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**deserialized(config, "tokenizer"))
