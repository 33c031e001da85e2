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


@pytest.fixture(params=["wordpiece", "byte"])
def model_and_preprocessor(request):
    # The same tests with both text preprocessors.
    if request.param == "wordpiece":
        names = ("tiny_model", "tiny_preprocessor")
    else:
        names = ("tiny_byte_model", "tiny_byte_preprocessor")
    return tuple(request.getfixturevalue(name) for name in names)


def test_chunked_differs_from_truncated_and_is_deterministic(
        model_and_preprocessor, tiny_pairs):
    tiny_model, tiny_preprocessor = model_and_preprocessor
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


def test_short_text_equals_plain_embedding(model_and_preprocessor,
                                           tiny_pairs):
    tiny_model, tiny_preprocessor = model_and_preprocessor
    # Captions and their first two words (short enough for bytes too).
    candidates = tiny_pairs["captions"] + [
        " ".join(c.split()[:2]) for c in tiny_pairs["captions"]]
    short = [c for c in dict.fromkeys(candidates)
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


def test_byte_windows_are_offset_bytes_packed_like_the_preprocessor(
        tiny_byte_preprocessor):
    pre = tiny_byte_preprocessor
    text = "é" + "x" * 40
    ids = tokenize_full(pre, [text])[0]
    assert ids == [b + 5 for b in text.encode("utf-8")]
    windows = token_windows(ids, pre.sequence_length - 2, 3)
    packed = pre.pack(windows)
    assert packed["token_ids"].shape == (len(windows), 16)
    np.testing.assert_array_equal(packed["token_ids"][0],
                                  [2, *ids[:14], 3])
    assert packed["padding_mask"].all()
