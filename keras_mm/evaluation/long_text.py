"""Texts longer than the encoder's context: overlapping windows, pooled.

A text tower sees at most `sequence_length` tokens (two of them `[CLS]` and
`[SEP]`). `embed_long_texts` splits each tokenized text into overlapping
windows that together cover every token, embeds each window and pools the
window embeddings, so nothing is dropped. Wherever a text is cut instead,
a `TextTruncationWarning` says how many texts and tokens were lost.
"""

import warnings

import numpy as np

from keras_mm.evaluation.encoding import encode_batches
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.truncation import TextTruncationWarning
from keras_mm.evaluation.truncation import content_length
from keras_mm.evaluation.truncation import tokenize_full
from keras_mm.evaluation.truncation import warn_if_truncated  # noqa: F401
from keras_mm.metrics.cosine import l2_normalize

POOLING = ("mean", "max")


def token_windows(token_ids, window, overlap):
    """Splits a list of ids into windows of `window` ids covering them all.

    Consecutive windows share at least `overlap` ids; the last window ends
    at the last id.

    Example:
    ```python
    keras_mm.evaluation.token_windows(list(range(10)), window=4, overlap=1)
    # [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    ```
    """
    if window < 1 or not 0 <= overlap < window:
        raise ValueError("Need window >= 1 and 0 <= overlap < window. "
                         f"Received: window={window}, overlap={overlap}")
    if len(token_ids) <= window:
        return [list(token_ids)]
    step = window - overlap
    starts = list(range(0, len(token_ids) - window, step))
    starts.append(len(token_ids) - window)
    return [list(token_ids[s:s + window]) for s in starts]


def embed_long_texts(model, preprocessor, texts, overlap=None,
                     pooling="mean", max_windows=None, batch_size=64):
    """Embeds texts of any length through overlapping context windows.

    Each text is tokenized without a length limit and split by
    `token_windows` into windows of `sequence_length - 2` tokens; every
    window gets `[CLS]`/`[SEP]` and is embedded by the text tower; the
    window embeddings are pooled and renormalized. A text that fits in one
    window gets exactly the embedding of the plain preprocessor.

    Args:
        model: a contrastive model with `encode("text", inputs)`.
        preprocessor: `keras_mm.data.TextPreprocessor` or
            `keras_mm.data.ByteTextPreprocessor` (anything with
            `sequence_length`, `tokenize(texts)` and `pack(token_ids)`).
        texts: list of str.
        overlap: int. Tokens shared by consecutive windows; defaults to a
            quarter of the window.
        pooling: str. `"mean"` (weighted by window length) or `"max"`.
        max_windows: optional int. Keeps only the first windows of a text
            (with a `TextTruncationWarning`).
        batch_size: int. Windows per forward pass.

    Returns:
        `(len(texts), D)` float32 unit-norm embeddings.

    Example:
    ```python
    emb = keras_mm.evaluation.embed_long_texts(model, preprocessor,
                                               [" and ".join(captions)])
    ```
    """
    if pooling not in POOLING:
        raise ValueError(f"pooling must be one of {POOLING}. "
                         f"Received: pooling={pooling!r}")
    window = content_length(preprocessor)
    overlap = window // 4 if overlap is None else overlap
    windows, owners = [], []
    cut = 0
    for i, ids in enumerate(tokenize_full(preprocessor, texts)):
        pieces = token_windows(ids, window, overlap)
        if max_windows is not None and len(pieces) > max_windows:
            pieces, cut = pieces[:max_windows], cut + 1
        windows.extend(pieces)
        owners.extend([i] * len(pieces))
    if cut:
        warnings.warn(
            f"{cut} of {len(texts)} texts need more than max_windows="
            f"{max_windows} windows of {window} tokens; their tail is "
            "truncated.", TextTruncationWarning, stacklevel=2,
        )
    embeddings = encode_batches(model, "text", preprocessor.pack(windows),
                                batch_size)
    owners = np.asarray(owners)
    weights = np.array([max(len(w), 1) for w in windows], "float32")
    pooled = []
    for i in range(len(texts)):
        rows = embeddings[owners == i]
        if pooling == "mean":
            w = weights[owners == i][:, None]
            pooled.append((rows * w).sum(0) / w.sum())
        else:
            pooled.append(rows.max(0))
    return l2_normalize(np.stack(pooled)).astype("float32")


def embed_truncated_texts(model, preprocessor, texts, batch_size=64):
    """The plain embedding: texts cut to the context (with a warning)."""
    return encode_texts(model, preprocessor, texts, batch_size)
