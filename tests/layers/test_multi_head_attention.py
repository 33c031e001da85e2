import keras
import numpy as np
import pytest

from keras_mm.layers.multi_head_attention import check_dropout
from keras_mm.layers.multi_head_attention import check_heads
from keras_mm.layers.multi_head_attention import key_padding_mask
from keras_mm.layers.multi_head_attention import multi_head_attention

RNG = np.random.default_rng(0)
QUERY = RNG.normal(size=(2, 3, 8)).astype("float32")
KEY = RNG.normal(size=(2, 5, 8)).astype("float32")
VALUE = RNG.normal(size=(2, 5, 8)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1] * 5], bool)


def _reference(query, key, value, num_heads, mask):
    """Per-head softmax(q k^T / sqrt(d)) v in NumPy, heads side by side."""
    head = query.shape[-1] // num_heads
    out = []
    for h in range(num_heads):
        part = slice(h * head, (h + 1) * head)
        scores = query[..., part] @ key[..., part].transpose(0, 2, 1)
        scores = scores / np.sqrt(head)
        scores = np.where(mask[:, None, :], scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        out.append(weights @ value[..., part])
    return np.concatenate(out, axis=-1)


def test_matches_per_head_softmax_attention():
    got = keras.ops.convert_to_numpy(
        multi_head_attention(QUERY, KEY, VALUE, 2, padding_mask=MASK))
    np.testing.assert_allclose(
        got, _reference(QUERY, KEY, VALUE, 2, MASK), atol=1e-5)


def test_padded_keys_are_never_read():
    noisy = VALUE.copy()
    noisy[0, 3:] = 100.0
    out = multi_head_attention(QUERY, KEY, VALUE, 2, padding_mask=MASK)
    got = multi_head_attention(QUERY, KEY, noisy, 2, padding_mask=MASK)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got),
                               keras.ops.convert_to_numpy(out), atol=1e-6)


def test_key_padding_mask_shape_and_none():
    assert key_padding_mask(None) is None
    assert tuple(key_padding_mask(MASK).shape) == (2, 1, 1, 5)


def test_checks_name_the_argument():
    with pytest.raises(ValueError, match="divisible"):
        check_heads(10, 3)
    with pytest.raises(ValueError, match="dropout"):
        check_dropout(1.0)
