"""Exact contrastive accumulation vs one big batch vs plain averaging."""

import keras
import numpy as np
import pytest

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch

B = 4
K = 4


def _max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.mark.large
def test_exact_accumulation_matches_big_batch_and_plain_does_not():
    x = tiny_clip_batch(B * K)
    base = tiny_clip(seed=1)
    w0 = base.get_weights()

    big = tiny_clip(seed=1, weights=w0)
    big.compile(optimizer=keras.optimizers.SGD(1.0))
    big.fit(x, batch_size=B * K, epochs=1, shuffle=False, verbose=0)

    exact = tiny_clip(seed=1, weights=w0)
    exact.compile(optimizer=keras.optimizers.SGD(1.0), accumulation_steps=K)
    history = exact.fit(x, batch_size=B * K, epochs=1, shuffle=False,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])

    plain = tiny_clip(seed=1, weights=w0)
    plain.compile(optimizer=keras.optimizers.SGD(
        1.0, gradient_accumulation_steps=K))
    plain.fit(x, batch_size=B, epochs=1, shuffle=False, verbose=0)
    assert int(keras.ops.convert_to_numpy(plain.optimizer.iterations)) == 1

    moved = _max_diff(big.get_weights(), w0)
    assert moved > 1e-3  # the update is not trivially small
    # float32 rounding only: weights reach ~10, so 5e-5 is ~1e-6 relative,
    # 20x below the plain-accumulation gap asserted next.
    assert _max_diff(exact.get_weights(), big.get_weights()) < 5e-5
    # Averaging micro-batch gradients loses the cross-micro-batch negatives.
    assert _max_diff(plain.get_weights(), big.get_weights()) > 1e-3


def test_plain_accumulation_is_exact_for_per_sample_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B * K, 8)).astype("float32")
    y = rng.normal(size=(B * K, 1)).astype("float32")

    def model(weights=None):
        keras.utils.set_random_seed(2)
        m = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1)])
        if weights is not None:
            m.set_weights(weights)
        return m

    w0 = model().get_weights()
    big = model(w0)
    big.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    big.fit(x, y, batch_size=B * K, shuffle=False, verbose=0)
    plain = model(w0)
    plain.compile(optimizer=keras.optimizers.SGD(
        0.5, gradient_accumulation_steps=K), loss="mse")
    plain.fit(x, y, batch_size=B, shuffle=False, verbose=0)
    assert _max_diff(big.get_weights(), w0) > 1e-3
    assert _max_diff(plain.get_weights(), big.get_weights()) < 1e-5
