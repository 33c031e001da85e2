"""Captioner and matching model saved here load under the other backends."""

import keras
import numpy as np
import pytest

from keras_mm.tasks import CaptioningModel
from keras_mm.tasks import ImageTextMatchingModel
from keras_mm.testing import run_in_backend
from tasks_testdata import image_encoder
from tasks_testdata import preprocessor
from tasks_testdata import SEQUENCE_LENGTH
from tasks_testdata import text_encoder

OTHER_BACKENDS = {
    "jax": ("tensorflow", "torch"),
    "tensorflow": ("jax", "torch"),
    "torch": ("jax", "tensorflow"),
}

LOAD_AND_RUN = """
import json, numpy as np, keras_mm
inputs = dict(np.load({inputs!r}))
captioner = keras_mm.load_model({captioner!r})
matcher = keras_mm.load_model({matcher!r})
out = {{"logits": np.asarray(captioner.predict(inputs, verbose=0)),
        "generated": captioner.generate(inputs, num_beams=2)}}
for k, v in matcher.predict(inputs, verbose=0).items():
    out[k] = np.asarray(v)
print(json.dumps({{k: v.tolist() for k, v in out.items()}}))
"""


@pytest.mark.large
def test_saved_models_agree_across_backends(shapes_test, tmp_path):
    backend = keras.config.backend()
    inputs = {k: v[:4] for k, v in shapes_test.items()}
    captioner = CaptioningModel(
        image_encoder(), preprocessor().vocabulary_size, SEQUENCE_LENGTH,
        hidden_dim=32, num_layers=1, num_heads=2)
    matcher = ImageTextMatchingModel(
        {"image": image_encoder(), "text": text_encoder(causal=False)},
        projection_dim=32, seed=0)
    expected = {"logits": captioner.predict(inputs, verbose=0),
                "generated": captioner.generate(inputs, num_beams=2)}
    expected.update(matcher.predict(inputs, verbose=0))
    paths = {"captioner": str(tmp_path / "captioner.keras"),
             "matcher": str(tmp_path / "matcher.keras")}
    captioner.save(paths["captioner"])
    matcher.save(paths["matcher"])
    np.savez(tmp_path / "inputs.npz", **inputs)
    code = LOAD_AND_RUN.format(inputs=str(tmp_path / "inputs.npz"), **paths)
    for other in OTHER_BACKENDS[backend]:
        actual = run_in_backend(other, code)
        assert set(actual) == set(expected)
        for key, value in expected.items():
            diff = np.abs(np.asarray(actual[key]) - np.asarray(value)).max()
            assert diff <= 1e-4, f"{key} differs by {diff} under {other}"
