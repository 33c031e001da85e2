"""ContrastiveModel training hooks: accumulation option, clean gradients."""

import keras
import numpy as np
import pytest

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training.backend_gradients import compute_gradients


def test_compile_validates_accumulation_options():
    model = tiny_clip()
    with pytest.raises(ValueError, match="accumulation_steps"):
        model.compile(accumulation_steps=0)
    with pytest.raises(ValueError, match="not both"):
        model.compile(optimizer=keras.optimizers.SGD(
            0.1, gradient_accumulation_steps=2), accumulation_steps=2)


def test_each_step_uses_fresh_gradients():
    # Two SGD steps by `fit` equal two manual steps: no gradient leaks from
    # one step into the next (the torch towers share parameter paths).
    x = tiny_clip_batch()
    model = tiny_clip()
    reference = tiny_clip()
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    model.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0)
    variables = reference.trainable_variables
    for _ in range(2):
        _, grads = compute_gradients(
            lambda: reference.compute_loss(
                x=x, y_pred=reference(x, training=True)), variables)
        for v, g in zip(variables, grads):
            v.assign(keras.ops.convert_to_numpy(v) - 0.5 * g)
    # (rtol: tensorflow's fit is XLA-compiled, the reference runs eagerly.)
    for a, b in zip(model.weights, reference.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a),
                                   keras.ops.convert_to_numpy(b),
                                   rtol=1e-5, atol=1e-5)
