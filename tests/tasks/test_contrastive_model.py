"""ContrastiveModel training hooks: accumulation option, clean gradients."""

import keras
import numpy as np
import pytest

from keras_mm.quickstart import build_model
from keras_mm.training.backend_gradients import compute_gradients


def _inputs(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "images": rng.uniform(0, 255, (n, 32, 32, 3)).astype("float32"),
        "token_ids": rng.integers(1, 40, (n, 32)).astype("int32"),
        "padding_mask": np.arange(32)[None, :] < rng.integers(3, 10, (n, 1)),
    }


def _model():
    keras.utils.set_random_seed(0)
    return build_model(40, hidden_dim=16, num_layers=1, num_heads=2,
                       projection_dim=16)


def test_compile_validates_accumulation_options():
    model = _model()
    with pytest.raises(ValueError, match="accumulation_steps"):
        model.compile(accumulation_steps=0)
    with pytest.raises(ValueError, match="not both"):
        model.compile(optimizer=keras.optimizers.SGD(
            0.1, gradient_accumulation_steps=2), accumulation_steps=2)


def test_each_step_uses_fresh_gradients():
    # Two SGD steps by `fit` equal two manual steps: no gradient leaks from
    # one step into the next (the torch towers share parameter paths).
    x = _inputs()
    model = _model()
    reference = _model()
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    model.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0)
    variables = reference.trainable_variables
    for _ in range(2):
        _, grads = compute_gradients(
            lambda: reference.compute_loss(
                x=x, y_pred=reference(x, training=True)), variables)
        for v, g in zip(variables, grads):
            v.assign(keras.ops.convert_to_numpy(v) - 0.5 * g)
    for a, b in zip(model.weights, reference.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a),
                                   keras.ops.convert_to_numpy(b), atol=1e-5)
