"""Captions to `token_ids` + `padding_mask`, with a WordPiece vocabulary."""

from keras_mm.api_export import keras_mm_export
from keras_mm.data.packed_text_preprocessor import PackedTextPreprocessor

RESERVED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _keras_hub():
    import keras_hub  # Deferred: it imports TensorFlow and tf-text.

    return keras_hub


@keras_mm_export
class TextPreprocessor(PackedTextPreprocessor):
    """WordPiece tokenizer + start/end packer, usable eagerly and in tf.data.

    Args:
        vocabulary: list of str. WordPiece vocabulary; must contain the
            reserved tokens `[PAD] [UNK] [CLS] [SEP] [MASK]`.
        sequence_length: int. Output length (padded or truncated).
        lowercase: bool. Lowercase text before tokenizing.
        strip_accents: bool. Remove accent marks before tokenizing ("café"
            -> "cafe"), as Hugging Face's `BertTokenizer` does whenever it
            lowercases; off by default so that vocabularies trained here
            keep tokenizing as they did.

    Call arguments:
        texts: a str, a list of str, or a string tensor.

    Returns:
        `{"token_ids": int32 (batch, sequence_length),
        "padding_mask": bool (batch, sequence_length)}`.

    Example:
    ```python
    pre = keras_mm.data.TextPreprocessor.from_corpus(
        ["a red circle", "a blue square"], sequence_length=8)
    pre(["a red square"])["token_ids"]
    ```
    """

    def __init__(self, vocabulary, sequence_length=32, lowercase=True,
                 strip_accents=False, **kwargs):
        super().__init__(**kwargs)
        vocabulary = list(vocabulary)
        missing = [t for t in RESERVED_TOKENS if t not in vocabulary]
        if missing:
            raise ValueError(
                f"vocabulary is missing reserved tokens {missing}."
            )
        self.vocabulary = vocabulary
        self.sequence_length = sequence_length
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        hub = _keras_hub()
        self.tokenizer = hub.tokenizers.WordPieceTokenizer(
            vocabulary=vocabulary, lowercase=lowercase,
            strip_accents=strip_accents, dtype="int32"
        )
        self.packer = hub.layers.StartEndPacker(
            sequence_length=sequence_length,
            start_value=self.tokenizer.token_to_id("[CLS]"),
            end_value=self.tokenizer.token_to_id("[SEP]"),
            pad_value=self.tokenizer.token_to_id("[PAD]"),
            return_padding_mask=True,
        )

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    @classmethod
    def from_corpus(cls, texts, vocabulary_size=1000, sequence_length=32,
                    lowercase=True):
        """Trains a WordPiece vocabulary on `texts` (list of str)."""
        from keras_mm.data.tf_graph import text_batches

        texts = list(texts)
        if not texts:
            raise ValueError("from_corpus needs at least one text.")
        vocabulary = _keras_hub().tokenizers.compute_word_piece_vocabulary(
            text_batches(texts, 1024),
            vocabulary_size=vocabulary_size,
            lowercase=lowercase,
            reserved_tokens=list(RESERVED_TOKENS),
        )
        return cls(vocabulary, sequence_length, lowercase)

    @classmethod
    def from_vocabulary_file(cls, path, sequence_length=32, lowercase=True,
                             strip_accents=False):
        """Loads a `vocab.txt` (one token per line), as BERT ships it."""
        with open(path, encoding="utf-8") as f:
            vocabulary = [line.rstrip("\n") for line in f if line.strip()]
        return cls(vocabulary, sequence_length, lowercase, strip_accents)

    def save_vocabulary(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(self.vocabulary) + "\n")

    def tokenize_and_pack(self, texts):
        """`(token_ids, padding_mask)` of a batch of texts; works in
        `tf.data` graphs, where `make_dataset` calls it."""
        return self.packer(self.tokenizer(texts))

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary": self.vocabulary,
            "sequence_length": self.sequence_length,
            "lowercase": self.lowercase,
            "strip_accents": self.strip_accents,
        }
