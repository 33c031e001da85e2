"""RoBERTa's byte-level BPE tokenizer, packed as `<s> … </s> <pad>…`."""

from keras_mm.api_export import keras_mm_export
from keras_mm.models.bpe_text_preprocessor import BPETextPreprocessor


@keras_mm_export
class RobertaTextPreprocessor(BPETextPreprocessor):
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

    tokenizer_class = "RobertaTokenizer"
