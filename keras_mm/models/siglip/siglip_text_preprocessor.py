"""SigLIP's SentencePiece tokenizer, packed into fixed-length token ids."""

import os
import string

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig

# Python's `string.punctuation`, which both Hugging Face's SiglipTokenizer
# and keras-hub's SigLIPPreprocessor remove (big_vision's canonicalisation).
PUNCTUATION_PATTERN = "[" + "".join("\\" + c for c in string.punctuation) + "]"


@keras_mm_export
class SigLIPTextPreprocessor(ConstructorConfig, keras.layers.Layer):
    """Strings -> `{"token_ids", "padding_mask"}` as SigLIP tokenizes them.

    Each string is canonicalised as big_vision does (lower-cased, ASCII
    punctuation removed, runs of whitespace collapsed, stripped), split
    into SentencePiece pieces, followed by `</s>`, truncated to
    `sequence_length` with `</s>` kept, and padded with the pad id
    ("max_length" padding, as SigLIP was trained). SigLIP's text tower attends to every position and pools the
    LAST one, padding included, so `padding_mask` is all True: an encoder
    pooling the last True position (`"eot"`) then pools the last position.

    Args:
        tokenizer: `keras_hub.tokenizers.SentencePieceTokenizer` (or
            `SigLIPTokenizer`).
        sequence_length: int. Length of every output row (SigLIP: 64).
        end_token: str. Appended piece (`"</s>"`).
        pad_token: str. Padding piece (`"</s>"` in SigLIP checkpoints).
        lower_case: `True` (Unicode lower-casing, as Hugging Face's
            Python tokenizer), `"ascii"` (ASCII letters only, as keras-hub's
            `tf.strings.lower`) or `False`.
        remove_punctuation: bool. Remove `string.punctuation` characters.
        normalize_whitespace: bool. Collapse runs of whitespace into one
            space and strip both ends.

    Call arguments:
        texts: a str, a list of str or a string tensor.

    Example:
    ```python
    preprocess = keras_mm.models.siglip.SigLIPTextPreprocessor.from_proto(
        "spiece.model", sequence_length=64)
    preprocess(["a photo of a cat"])["token_ids"].shape  # (1, 64)
    ```
    """

    def __init__(self, tokenizer, sequence_length=64, end_token="</s>",
                 pad_token="</s>", lower_case=True, remove_punctuation=True,
                 normalize_whitespace=True, **kwargs):
        super().__init__(**kwargs)
        if lower_case not in (True, False, "ascii"):
            raise ValueError("lower_case must be True, False or 'ascii'. "
                             f"Received: lower_case={lower_case!r}")
        self._remember_config(locals())
        self._packer = None

    @property
    def lowercase(self):
        """Whether texts are lower-cased (what serving's cache keys use)."""
        return bool(self.lower_case)

    def _pack(self, token_ids):
        # Built on first use: a reloaded tokenizer gets its proto (saved as
        # an asset) only after `from_config`.
        if self._packer is None:
            import keras_hub

            self._packer = keras_hub.layers.StartEndPacker(
                sequence_length=self.sequence_length,
                end_value=self._token_id(self.end_token),
                pad_value=self._token_id(self.pad_token),
                return_padding_mask=False,
            )
        return self._packer(token_ids)

    def _token_id(self, token):
        token_id = int(self.tokenizer.token_to_id(token))
        # SentencePiece answers the unknown id for a piece it lacks.
        if token_id == 0 and self.tokenizer.id_to_token(0) != token:
            raise ValueError(f"The tokenizer has no {token!r} piece")
        return token_id

    def canonicalize(self, texts):
        """big_vision's text canonicalisation, in TensorFlow."""
        from keras_mm.data import tf_graph

        return tf_graph.canonicalize_text(
            texts, lower_case=self.lower_case,
            remove_pattern=(PUNCTUATION_PATTERN if self.remove_punctuation
                            else None),
            normalize_whitespace=self.normalize_whitespace)

    def call(self, texts):
        from keras_mm.data import tf_graph

        texts = self.canonicalize(tf_graph.string_tensor(texts))
        return tf_graph.text_model_inputs(self._pack(self.tokenizer(texts)))

    def __call__(self, texts):
        import numpy as np

        # Tokenizing runs in TensorFlow on every backend (as keras-hub's
        # preprocessing does); callers get NumPy.
        if isinstance(texts, str):
            texts = [texts]
        outputs = self.call(texts)
        return {k: np.asarray(v) for k, v in outputs.items()}

    @classmethod
    def from_proto(cls, proto, sequence_length=64, **kwargs):
        """From a SentencePiece model file (`spiece.model`) or its bytes."""
        import keras_hub

        if isinstance(proto, str):
            if not os.path.exists(proto):
                raise FileNotFoundError(f"No SentencePiece model at {proto}")
            with open(proto, "rb") as f:
                proto = f.read()
        tokenizer = keras_hub.tokenizers.SentencePieceTokenizer(proto=proto)
        return cls(tokenizer, sequence_length, **kwargs)
