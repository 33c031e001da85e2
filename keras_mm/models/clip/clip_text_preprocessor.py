"""CLIP's byte-level BPE tokenizer, packed into fixed-length token ids."""

import gzip
import os


from keras_mm.api_export import keras_mm_export
from keras_mm.models.bpe_text_preprocessor import BPETextPreprocessor

START_TOKEN = "<|startoftext|>"
END_TOKEN = "<|endoftext|>"
# OpenAI's CLIP BPE merges (MIT-licensed data, as open_clip ships them): the
# vocabulary of every open_clip checkpoint, whose folders carry none.
DEFAULT_MERGES = os.path.join(os.path.dirname(__file__), "assets",
                              "bpe_simple_vocab_16e6.txt.gz")
# CLIP's vocabulary: 256 bytes, the same with "</w>", then these merges.
OPENAI_NUM_MERGES = 49152 - 256 - 2


@keras_mm_export
class CLIPTextPreprocessor(BPETextPreprocessor):
    """Strings -> `{"token_ids", "padding_mask"}` as CLIP tokenizes them.

    Each string becomes `<|startoftext|> tokens <|endoftext|>`, truncated
    to `sequence_length` with the end token kept, then padded. The text
    encoder pools the last real token (the end token), so the padding id
    never matters. The tokenizer is keras-hub's `CLIPTokenizer` (lower-case,
    byte-level BPE); its vocabulary is saved with a `.keras` file.

    Args:
        tokenizer: `keras_hub.tokenizers.CLIPTokenizer`.
        sequence_length: int. Length of every output row (CLIP: 77).
        pad_value: optional int. The padding id; the end token's by
            default (as transformers pads), 0 for open_clip's ids.
        mask_padding: bool. Whether `padding_mask` is False at padding.
            open_clip's towers that pool the last or first position have
            no padding mask (pad tokens are attended like any other);
            `False` reproduces that with an all-True mask.

    Call arguments:
        texts: a str, a list of str or a string tensor.

    Example:
    ```python
    preprocess = keras_mm.models.CLIPTextPreprocessor.from_merges_file(
        sequence_length=77)  # OpenAI's vocabulary, shipped with keras_mm
    preprocess(["a photo of a cat"])["token_ids"].shape  # (1, 77)
    ```
    """

    # CLIP's tokenizer lower-cases and collapses whitespace itself, so a
    # service may do the same to its cache keys.
    lowercase = True

    tokenizer_class = "CLIPTokenizer"

    def __init__(self, tokenizer, sequence_length, pad_value=None,
                 mask_padding=True, **kwargs):
        super().__init__(tokenizer, sequence_length, **kwargs)
        self.pad_value = pad_value
        self.mask_padding = mask_padding

    def start_id(self):
        vocabulary = self.tokenizer.get_vocabulary()
        if START_TOKEN in vocabulary:
            return self.tokenizer.token_to_id(START_TOKEN)
        return self.tokenizer.start_token_id

    def pad_id(self):
        if self.pad_value is None:
            return self.tokenizer.end_token_id
        return self.pad_value

    def packing_mask(self, padding_mask):
        # open_clip's `last`-token pooling attends the padding too (None:
        # every token is attended to).
        return padding_mask if self.mask_padding else None

    @classmethod
    def from_merges_file(cls, sequence_length=77, path=DEFAULT_MERGES,
                         num_merges=OPENAI_NUM_MERGES, **kwargs):
        """From a merges file as open_clip ships it (OpenAI's by default).

        The vocabulary follows from the merges, as in open_clip's
        `SimpleTokenizer`: the 256 byte symbols, the same with `</w>`, one
        token per merge, then the start and end tokens. `kwargs` go to the
        constructor (`pad_value`, `mask_padding`).
        """
        if not os.path.exists(path):
            raise FileNotFoundError(f"No tokenizer merges file at {path}")
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            merges = f.read().split("\n")[1:num_merges + 1]
        symbols = list(_byte_symbols())
        vocabulary = symbols + [s + "</w>" for s in symbols]
        vocabulary += ["".join(m.split()) for m in merges]
        vocabulary += [START_TOKEN, END_TOKEN]
        tokenizer = cls._tokenizer(
            {token: i for i, token in enumerate(vocabulary)}, merges)
        return cls(tokenizer, sequence_length, **kwargs)

    def get_config(self):
        return {**super().get_config(), "pad_value": self.pad_value,
                "mask_padding": self.mask_padding}


def _byte_symbols():
    """GPT-2's printable stand-ins for the 256 bytes, in CLIP's order."""
    printable = (list(range(ord("!"), ord("~") + 1))
                 + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    extra = [b for b in range(256) if b not in printable]
    codes = printable + [256 + i for i in range(len(extra))]
    for code in codes:
        yield chr(code)
