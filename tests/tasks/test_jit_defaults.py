import keras
import numpy as np

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.tasks.jit_defaults import resolve_jit_compile


def test_auto_means_xla_on_tensorflow_only(monkeypatch):
    # The suite's conftest turns the TensorFlow default off for speed.
    monkeypatch.delenv("KERAS_MM_TF_XLA", raising=False)
    model = tiny_clip()
    expected = True if keras.config.backend() == "tensorflow" else "auto"
    assert resolve_jit_compile(model) == expected
    model.compile()
    assert model.jit_compile == (keras.config.backend() in (
        "tensorflow", "jax"))
    history = model.fit(tiny_clip_batch(), epochs=2, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[1] < losses[0]


def test_explicit_choices_and_eager_runs_are_kept():
    model = tiny_clip()
    assert resolve_jit_compile(model, False) is False
    assert resolve_jit_compile(model, True) is True
    assert resolve_jit_compile(model, "auto", run_eagerly=True) == "auto"


def test_a_layer_without_xla_support_keeps_auto():
    model = tiny_clip()
    model.encoders["image"].get_layer("block_0").supports_jit = False
    assert resolve_jit_compile(model) == "auto"


def test_environment_switch_keeps_keras_auto(monkeypatch):
    model = tiny_clip()
    monkeypatch.setenv("KERAS_MM_TF_XLA", "0")
    assert resolve_jit_compile(model) == "auto"
    monkeypatch.setenv("KERAS_MM_TF_XLA", "1")
    expected = True if keras.config.backend() == "tensorflow" else "auto"
    assert resolve_jit_compile(model) == expected
