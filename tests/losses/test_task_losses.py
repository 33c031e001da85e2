"""ITM, token and masked-patch losses against NumPy."""

import numpy as np

from keras_mm.losses import caption_loss
from keras_mm.losses import itm_loss
from keras_mm.losses import masked_patch_loss
from keras_mm.losses import masked_token_loss


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def test_itm_loss():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 2)).astype("float32")
    labels = rng.integers(0, 2, size=7)
    expected = -_log_softmax(logits)[np.arange(7), labels].mean()
    np.testing.assert_allclose(float(itm_loss(logits, labels)), expected,
                               rtol=1e-5)


def test_masked_token_loss_ignores_zero_weights():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 5, 11)).astype("float32")
    labels = rng.integers(0, 11, size=(2, 5))
    weights = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], "float32")
    loss, acc = masked_token_loss(logits, labels, weights)
    picked = _log_softmax(logits)[np.arange(2)[:, None], np.arange(5),
                                  labels]
    np.testing.assert_allclose(float(loss),
                               -(picked * weights).sum() / weights.sum(),
                               rtol=1e-5)
    hits = (logits.argmax(-1) == labels) * weights
    np.testing.assert_allclose(float(acc), hits.sum() / weights.sum(),
                               rtol=1e-6)
    # Garbage at a zero-weight position changes nothing.
    logits[0, 3] = 1e3
    np.testing.assert_allclose(
        float(masked_token_loss(logits, labels, weights)[0]), float(loss),
        rtol=1e-6)


def test_caption_loss_shifts_by_one():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 4, 6)).astype("float32")
    tokens = rng.integers(0, 6, size=(2, 4))
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    loss, _ = caption_loss(logits, tokens, mask)
    expected, _ = masked_token_loss(logits[:, :3], tokens[:, 1:], mask[:, 1:])
    np.testing.assert_allclose(float(loss), float(expected), rtol=1e-6)


def test_masked_patch_loss():
    rng = np.random.default_rng(3)
    pred = rng.normal(size=(2, 4, 3)).astype("float32")
    target = rng.normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], bool)
    expected = ((pred - target) ** 2).mean(-1)[mask].mean()
    np.testing.assert_allclose(float(masked_patch_loss(pred, target, mask)),
                               expected, rtol=1e-5)
