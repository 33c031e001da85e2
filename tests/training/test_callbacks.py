"""NaN/Inf guard, per-modality gradient norms, checkpoint files."""

import warnings

import keras
import numpy as np
import pytest

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import checkpointing
from keras_mm.training.gradient_norms import ModalityGradientNorms
from keras_mm.training.gradient_norms import modality_gradient_norms
from keras_mm.training.nan_guard import NonFiniteGuard
from keras_mm.training.nan_guard import NonFiniteLossError
from keras_mm.training.variables import named_variables


def test_guard_names_step_and_term():
    guard = NonFiniteGuard(initial_step=10)
    guard.set_model(keras.Sequential([keras.layers.Dense(1)]))
    guard.on_train_batch_end(0, {"loss": 1.0, "caption_loss": 2.0})
    with pytest.raises(NonFiniteLossError, match="'caption_loss'.*step 12"):
        guard.on_train_batch_end(1, {"loss": 1.0,
                                     "caption_loss": float("nan")})


def test_guard_stops_fit_on_inf():
    x = np.ones((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NonFiniteLossError, match="'loss'.* at step 1"):
        model.fit(x, np.full((8, 1), np.inf, "float32"), batch_size=4,
                  verbose=0, callbacks=[NonFiniteGuard()])


def test_gradient_norms_per_modality_and_imbalance_warning():
    model = tiny_clip()
    model.compile(optimizer="sgd")
    x = tiny_clip_batch()
    norms = modality_gradient_norms(model, x)
    assert set(norms) == {"image", "text"}
    assert all(n > 0 for n in norms.values())
    # Shrink the image projection: its tower's gradients shrink ~100x.
    kernel = named_variables(model)[
        "image_projection/image_projection/output/kernel"]
    kernel.assign(keras.ops.convert_to_numpy(kernel) * 1e-3)
    callback = ModalityGradientNorms(x, every_n_steps=1, ratio=10.0)
    callback.set_model(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = {}
        callback.on_train_batch_end(0, logs)
    assert any("gradient norm" in str(w.message) for w in caught)
    assert set(logs) == {"grad_norm/image", "grad_norm/text"}
    assert callback.history[0]["step"] == 1


def test_checkpoint_roundtrip_model_and_optimizer(tmp_path):
    model = tiny_clip()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(tiny_clip_batch(), batch_size=8, verbose=0)
    checkpointing.save_checkpoint(model, str(tmp_path), 7)
    other = tiny_clip()
    other.compile(optimizer=keras.optimizers.Adam(1e-2))
    assert checkpointing.restore_checkpoint(other, str(tmp_path)) == 7
    for a, b in zip(model.weights + model.optimizer.variables,
                    other.weights + other.optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a),
                                      keras.ops.convert_to_numpy(b))
    with pytest.raises(FileNotFoundError):
        checkpointing.restore_checkpoint(other, str(tmp_path / "none"))
