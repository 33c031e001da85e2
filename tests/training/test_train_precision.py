"""`precision=` is honoured for a builder and refused for a mismatching
model instance (a built model keeps its policy)."""

import os
import sys

import keras
import numpy as np
import pytest

from dataset_helpers import unknown_length_dataset
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import train
from keras_mm.training.precision import model_precision

BF16 = TrainConfig(batch_size=8, precision="mixed_bfloat16", verbose=0)


def _dense_dtypes(model):
    dense = [layer for layer in model._flatten_layers()
             if isinstance(layer, keras.layers.Dense)]
    return {(layer.compute_dtype, layer.kernel.dtype) for layer in dense}


def test_builder_trains_under_the_precision_on_a_dataset():
    model, report = train(lambda: tiny_clip(seed=None),
                          unknown_length_dataset(16), BF16,
                          print_fn=lambda m: None)
    assert keras.config.dtype_policy().name == "float32"  # restored
    assert model_precision(model) == "mixed_bfloat16"
    assert _dense_dtypes(model) == {("bfloat16", "float32")}
    assert np.isfinite(report["final_loss"])


@pytest.mark.parametrize("built, asked", [("float32", "mixed_bfloat16"),
                                          ("mixed_bfloat16", "float32")])
def test_instance_built_under_another_policy_is_refused(built, asked):
    keras.config.set_dtype_policy(built)
    try:
        model = tiny_clip()
    finally:
        keras.config.set_dtype_policy("float32")
    config = TrainConfig(batch_size=8, precision=asked, verbose=0)
    expected = (f"precision='{asked}' needs the model built under that "
                f"policy (this one runs under '{built}'): pass a callable "
                "that builds or loads it, e.g. lambda: "
                "keras_mm.models.load_pretrained(path)")
    with pytest.raises(ValueError) as caught:
        train(model, tiny_clip_batch(16), config, print_fn=lambda m: None)
    assert str(caught.value) == expected
    # A matching instance trains.
    config = TrainConfig(batch_size=8, precision=built, verbose=0)
    _, report = train(model, tiny_clip_batch(16), config,
                      print_fn=lambda m: None)
    assert np.isfinite(report["final_loss"])


@pytest.mark.large
def test_load_pretrained_inside_the_builder_computes_in_bfloat16(tmp_path):
    pytest.importorskip("transformers")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        __file__)), "models", "clip"))
    import hf_clip_fixture
    import keras_mm

    folder = str(tmp_path / "hf")
    hf_clip_fixture.write_hf_clip(folder)
    loaded = {}

    def build():
        loaded["model"] = keras_mm.models.load_pretrained(folder)
        return loaded["model"]

    images = hf_clip_fixture.write_images(str(tmp_path))
    probe = keras_mm.models.load_pretrained(folder)
    inputs = {"images": np.asarray(probe.preprocessors["image"](images)),
              **{k: np.asarray(v) for k, v in probe.preprocessors["text"](
                  hf_clip_fixture.TEXTS[:3]).items()}}
    config = TrainConfig(batch_size=3, epochs=2, verbose=0,
                         precision="mixed_bfloat16")
    model, report = train(build, inputs, config, print_fn=lambda m: None)
    assert model is loaded["model"]
    assert model_precision(model) == "mixed_bfloat16"
    assert _dense_dtypes(model) == {("bfloat16", "float32")}
    assert model_precision(probe) == "float32"
    assert np.all(np.isfinite(report["epoch_losses"]))
