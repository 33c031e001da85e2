"""Whether a text tower's context cuts texts: a warning that says how much.

Shared by the plain embedding (`encoding`), which warns, and the windowed
one (`long_text`), which keeps every token.
"""

import warnings


class TextTruncationWarning(UserWarning):
    """Some text was longer than the encoder's context and was cut."""


def tokenize_full(preprocessor, texts):
    """Token ids of each text with no length limit (list of lists).

    Uses the preprocessor's `tokenize` (`TextPreprocessor`,
    `ByteTextPreprocessor` or any object with `tokenize(texts)`).
    """
    return preprocessor.tokenize(list(texts))


def content_length(preprocessor):
    """Tokens of text that fit: the context less `[CLS]` and `[SEP]`."""
    return preprocessor.sequence_length - 2  # [CLS] ... [SEP]


def warn_if_truncated(preprocessor, texts, token_ids=None):
    """Warns (`TextTruncationWarning`) when `preprocessor` would cut texts.

    Returns:
        The number of texts that do not fit.
    """
    token_ids = token_ids or tokenize_full(preprocessor, texts)
    limit = content_length(preprocessor)
    lengths = [len(ids) for ids in token_ids]
    too_long = [n for n in lengths if n > limit]
    if too_long:
        warnings.warn(
            f"{len(too_long)} of {len(lengths)} texts exceed the text "
            f"encoder's context of {limit} tokens (longest: "
            f"{max(too_long)}); {sum(n - limit for n in too_long)} tokens "
            "are truncated. Use keras_mm.evaluation.embed_long_texts to "
            "keep them.",
            TextTruncationWarning,
            stacklevel=3,
        )
    return len(too_long)
