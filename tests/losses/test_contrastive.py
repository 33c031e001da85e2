"""CLIP and SigLIP losses against an independent NumPy computation."""

import keras
import numpy as np
import pytest

from keras_mm.losses import clip_loss
from keras_mm.losses import siglip_loss


def backend_grad(fn, x):
    """d fn(x) / dx with the backend's own autodiff (scalar `x`)."""
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        return float(jax.grad(fn)(np.float32(x)))
    if backend == "tensorflow":
        import tensorflow as tf

        v = tf.Variable(np.float32(x))
        with tf.GradientTape() as tape:
            y = fn(v)
        return float(tape.gradient(y, v))
    import torch

    v = torch.tensor(np.float32(x), requires_grad=True)
    fn(v).backward()
    return float(v.grad)


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_clip_loss(logits, smoothing=0.0):
    n = logits.shape[0]
    labels = np.eye(n) * (1 - smoothing) + smoothing / n
    rows = -(labels * _log_softmax(logits, 1)).sum(1).mean()
    cols = -(labels * _log_softmax(logits, 0)).sum(0).mean()
    return (rows + cols) / 2


def np_siglip_loss(logits):
    n = logits.shape[0]
    z = 2 * np.eye(n) - 1
    # -log sigmoid(t) = log(1 + exp(-t)), computed stably.
    return np.logaddexp(0.0, -z * logits).sum() / n


def _similarities(aligned, seed=0, n=6, d=8):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d))
    b = a + 0.3 * rng.normal(size=(n, d)) if aligned else rng.normal(
        size=(n, d))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    sim = a @ b.T
    if not aligned:
        # Make every positive worse than the negatives.
        sim = sim - 2.0 * np.eye(n)
    return sim.astype("float32")


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_clip_loss_matches_numpy(smoothing):
    logits = _similarities(True) * 14.0
    actual = float(clip_loss(logits, label_smoothing=smoothing))
    np.testing.assert_allclose(actual, np_clip_loss(logits.astype("float64"),
                                                    smoothing), rtol=1e-5)


def test_clip_loss_is_symmetric_in_its_two_directions():
    logits = _similarities(True, seed=3, n=5) * 10.0
    np.testing.assert_allclose(float(clip_loss(logits)),
                               float(clip_loss(logits.T)), rtol=1e-6)


def test_siglip_loss_matches_numpy():
    logits = _similarities(True) * 10.0 - 5.0
    np.testing.assert_allclose(float(siglip_loss(logits)),
                               np_siglip_loss(logits.astype("float64")),
                               rtol=1e-5)


@pytest.mark.parametrize("aligned", [True, False])
def test_clip_temperature_gradient_sign(aligned):
    sim = _similarities(aligned)

    def loss(log_scale):
        return clip_loss(keras.ops.multiply(keras.ops.exp(log_scale), sim))

    log_scale = np.log(10.0)
    grad = backend_grad(loss, log_scale)
    eps = 1e-3
    numeric = (np_clip_loss(np.exp(log_scale + eps) * sim.astype("float64"))
               - np_clip_loss(np.exp(log_scale - eps) * sim.astype("float64"))
               ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=2e-3, atol=1e-5)
    # Aligned pairs: a sharper softmax helps, so the loss falls as the
    # scale rises (negative gradient); misaligned pairs: the reverse.
    assert (grad < 0) == aligned


@pytest.mark.parametrize("aligned", [True, False])
def test_siglip_temperature_gradient_sign(aligned):
    # Wide embeddings keep the negatives near zero similarity.
    sim = _similarities(aligned, d=64)
    bias = -2.0

    def loss(log_scale):
        return siglip_loss(
            keras.ops.multiply(keras.ops.exp(log_scale), sim) + bias)

    log_scale = np.log(2.0)
    grad = backend_grad(loss, log_scale)
    eps = 1e-3
    sim64 = sim.astype("float64")
    numeric = (np_siglip_loss(np.exp(log_scale + eps) * sim64 + bias)
               - np_siglip_loss(np.exp(log_scale - eps) * sim64 + bias)
               ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=2e-3, atol=1e-5)
    assert (grad < 0) == aligned
