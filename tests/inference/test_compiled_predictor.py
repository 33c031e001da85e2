import keras
import numpy as np
import pytest

from keras_mm.inference import CompiledPredictor
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)


@pytest.fixture(scope="module")
def tiny_model():
    return build_model(64, 16, 1, 2, projection_dim=16)


def _images(batch, size):
    rng = np.random.default_rng(batch)
    return rng.uniform(0, 255, (batch, size, size, 3)).astype("float32")


def test_matches_predict_on_batch_at_two_batch_sizes(tiny_model):
    tower = tiny_model.tower("image")
    size = tower.input["images"].shape[1]
    predictor = CompiledPredictor(tower)
    for batch in (1, 5):
        x = {"images": _images(batch, size)}
        expected = np.asarray(tower.predict_on_batch(x))
        actual = predictor(x)
        assert isinstance(actual, np.ndarray)
        np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_follows_weight_updates(tiny_model):
    tower = tiny_model.tower("image")
    size = tower.input["images"].shape[1]
    predictor = CompiledPredictor(tower)
    x = {"images": _images(2, size)}
    before = predictor(x)
    kernel = tiny_model.projections["image"].trainable_variables[0]
    kernel.assign(-keras.ops.convert_to_numpy(kernel))
    after = predictor(x)
    np.testing.assert_allclose(after, -before, atol=1e-5)


def test_dict_outputs_come_back_as_numpy(tiny_model):
    size = tiny_model.encoders["image"].input["images"].shape[1]
    length = tiny_model.encoders["text"].input["token_ids"].shape[1]
    inputs = {
        "images": _images(2, size),
        "token_ids": np.ones((2, length), "int32"),
        "padding_mask": np.ones((2, length), bool),
    }
    outputs = CompiledPredictor(tiny_model)(inputs)
    assert set(outputs) == {"image_embeddings", "text_embeddings"}
    norms = np.linalg.norm(outputs["text_embeddings"], axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)


def test_unbuilt_model_is_a_clear_error():
    with pytest.raises(ValueError, match="not built"):
        CompiledPredictor(keras.Sequential([keras.layers.Dense(2)]))
