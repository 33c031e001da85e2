"""Exact contrastive accumulation vs one big batch vs plain averaging."""

import keras
import numpy as np
import pytest

from keras_mm.quickstart import build_model

B = 4
K = 4


def _inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "images": rng.uniform(0, 255, (n, 32, 32, 3)).astype("float32"),
        "token_ids": rng.integers(1, 40, (n, 32)).astype("int32"),
        "padding_mask": np.arange(32)[None, :] < rng.integers(3, 10, (n, 1)),
    }


def _model(weights=None):
    keras.utils.set_random_seed(1)
    model = build_model(40, hidden_dim=16, num_layers=1, num_heads=2,
                        projection_dim=16)
    if weights is not None:
        model.set_weights(weights)
    return model


def _max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.mark.large
def test_exact_accumulation_matches_big_batch_and_plain_does_not():
    x = _inputs(B * K)
    base = _model()
    w0 = base.get_weights()

    big = _model(w0)
    big.compile(optimizer=keras.optimizers.SGD(1.0))
    big.fit(x, batch_size=B * K, epochs=1, shuffle=False, verbose=0)

    exact = _model(w0)
    exact.compile(optimizer=keras.optimizers.SGD(1.0), accumulation_steps=K)
    history = exact.fit(x, batch_size=B * K, epochs=1, shuffle=False,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])

    plain = _model(w0)
    plain.compile(optimizer=keras.optimizers.SGD(
        1.0, gradient_accumulation_steps=K))
    plain.fit(x, batch_size=B, epochs=1, shuffle=False, verbose=0)
    assert int(keras.ops.convert_to_numpy(plain.optimizer.iterations)) == 1

    moved = _max_diff(big.get_weights(), w0)
    assert moved > 1e-3  # the update is not trivially small
    assert _max_diff(exact.get_weights(), big.get_weights()) < 1e-5
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
