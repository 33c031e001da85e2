"""Vocabulary-free text preprocessing: UTF-8 bytes as tokens."""

from keras_mm.api_export import keras_mm_export
from keras_mm.data.packed_text_preprocessor import PackedTextPreprocessor
from keras_mm.data.text_preprocessor import RESERVED_TOKENS

# Ids 0..4 are the reserved tokens, as in a WordPiece vocabulary; byte b
# is id b + len(RESERVED_TOKENS).
BYTE_OFFSET = len(RESERVED_TOKENS)


@keras_mm_export
class ByteTextPreprocessor(PackedTextPreprocessor):
    """Byte-level tokenizer + start/end packer; needs no vocabulary.

    The fallback when no WordPiece vocabulary fits the text (any script,
    emoji, code, misspellings): every UTF-8 byte is a token, so nothing is
    ever unknown. Same outputs as `TextPreprocessor`, with ids
    `[PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4` and byte `b` at
    `b + 5` (`vocabulary_size` 261). Tokenizes with keras-hub's
    `ByteTokenizer`, eagerly or inside `tf.data`.

    Args:
        sequence_length: int. Output length, counting `[CLS]` and `[SEP]`
            (longer texts are truncated).
        lowercase: bool. Lowercase text before tokenizing.

    Called as `TextPreprocessor` is, with the same outputs.

    Example:
    ```python
    pre = keras_mm.data.ByteTextPreprocessor(sequence_length=16)
    pre(["un chat rouge", "红色的圆"])["token_ids"]
    pre.tokenize(["ab"])  # [[102, 103]]: byte + token_id_offset (5)
    ```
    """

    token_id_offset = BYTE_OFFSET

    def __init__(self, sequence_length=64, lowercase=False, **kwargs):
        super().__init__(**kwargs)
        if sequence_length < 3:
            raise ValueError("sequence_length must be >= 3 ([CLS], a byte, "
                             f"[SEP]). Received: {sequence_length}")
        import keras_hub  # Deferred: it imports TensorFlow and tf-text.

        self.sequence_length = sequence_length
        self.lowercase = lowercase
        self.tokenizer = keras_hub.tokenizers.ByteTokenizer(
            lowercase=lowercase, dtype="int32")
        self.packer = keras_hub.layers.StartEndPacker(
            sequence_length=sequence_length,
            start_value=RESERVED_TOKENS.index("[CLS]"),
            end_value=RESERVED_TOKENS.index("[SEP]"),
            pad_value=RESERVED_TOKENS.index("[PAD]"),
            return_padding_mask=True,
        )

    @property
    def vocabulary_size(self):
        return 256 + BYTE_OFFSET

    def tokenize_and_pack(self, texts):
        """`(token_ids, padding_mask)` of a batch of texts; works in
        `tf.data` graphs, where `make_dataset` calls it."""
        from keras_mm.data.tf_graph import ragged_rows

        byte_ids = self.tokenizer(texts)
        if isinstance(byte_ids, list):  # keras-hub's eager output
            byte_ids = ragged_rows(byte_ids)
        return self.packer(byte_ids + self.token_id_offset)

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "lowercase": self.lowercase,
        }
