import warnings

import numpy as np
import pytest

from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.long_text import TextTruncationWarning
from keras_mm.evaluation.long_text import embed_long_texts
from keras_mm.evaluation.long_text import embed_truncated_texts
from keras_mm.evaluation.long_text import token_windows
from keras_mm.evaluation.long_text import tokenize_full


def test_windows_cover_every_token_with_overlap():
    ids = list(range(23))
    windows = token_windows(ids, window=6, overlap=2)
    assert all(len(w) == 6 for w in windows)
    assert sorted(set(sum(windows, []))) == ids
    assert windows[-1][-1] == 22
    for a, b in zip(windows, windows[1:]):
        assert len(set(a) & set(b)) >= 2
    assert token_windows([1, 2], 6, 2) == [[1, 2]]
    with pytest.raises(ValueError, match="overlap"):
        token_windows(ids, 4, 4)


def _long_text(preprocessor, captions, factor=4):
    # Joins captions until the text is `factor`× the encoder's context.
    context = preprocessor.sequence_length
    text = captions[0]
    i = 1
    while len(tokenize_full(preprocessor, [text])[0]) < factor * context:
        text = f"{text} and {captions[i % len(captions)]}"
        i += 1
    return text


def test_chunked_differs_from_truncated_and_is_deterministic(
        tiny_model, tiny_preprocessor, tiny_pairs):
    text = _long_text(tiny_preprocessor, tiny_pairs["captions"])
    length = len(tokenize_full(tiny_preprocessor, [text])[0])
    assert length >= 4 * tiny_preprocessor.sequence_length
    with pytest.warns(TextTruncationWarning, match="truncated"):
        truncated = embed_truncated_texts(tiny_model, tiny_preprocessor,
                                          [text])
    with warnings.catch_warnings():
        warnings.simplefilter("error", TextTruncationWarning)
        chunked = embed_long_texts(tiny_model, tiny_preprocessor, [text])
        again = embed_long_texts(tiny_model, tiny_preprocessor, [text])
    np.testing.assert_array_equal(chunked, again)
    np.testing.assert_allclose(np.linalg.norm(chunked, axis=1), 1.0,
                               atol=1e-5)
    cosine = float(np.sum(chunked * truncated))
    assert cosine < 1.0 - 1e-4
    # Max pooling is another, also deterministic, summary.
    maxed = embed_long_texts(tiny_model, tiny_preprocessor, [text],
                             pooling="max")
    assert not np.allclose(maxed, chunked)


def test_short_text_equals_plain_embedding(tiny_model, tiny_preprocessor,
                                           tiny_pairs):
    short = [c for c in tiny_pairs["captions"]
             if len(tokenize_full(tiny_preprocessor, [c])[0])
             <= tiny_preprocessor.sequence_length - 2][:4]
    assert short
    plain = encode_texts(tiny_model, tiny_preprocessor, short)
    chunked = embed_long_texts(tiny_model, tiny_preprocessor, short)
    np.testing.assert_allclose(chunked, plain, atol=1e-5)


def test_max_windows_truncates_with_warning(tiny_model, tiny_preprocessor,
                                            tiny_pairs):
    text = _long_text(tiny_preprocessor, tiny_pairs["captions"])
    with pytest.warns(TextTruncationWarning, match="max_windows=1"):
        embed_long_texts(tiny_model, tiny_preprocessor, [text],
                         max_windows=1)
