"""Captioner and matcher saved under any backend load under the others."""

import numpy as np
import pytest

from cross_backend import check_across_backends
from cross_backend import runs_once
from keras_mm.tasks import CaptioningModel
from keras_mm.tasks import ImageTextMatchingModel
from tasks_testdata import image_encoder
from tasks_testdata import preprocessor
from tasks_testdata import SEQUENCE_LENGTH
from tasks_testdata import text_encoder

RUN = """
def outputs(models, data):
    inputs = dict(np.load(data + "/inputs.npz"))
    captioner = models["captioner"]
    out = {"logits": captioner.predict(inputs, verbose=0),
           "generated": captioner.generate(inputs, num_beams=2)}
    out.update(models["matcher"].predict(inputs, verbose=0))
    return out
"""


@pytest.mark.large
@runs_once
def test_saved_models_agree_across_backends(shapes_test, tmp_path):
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
    folder = tmp_path / "saved"
    folder.mkdir()
    captioner.save(folder / "captioner.keras")
    matcher.save(folder / "matcher.keras")
    np.savez(folder / "inputs.npz", **inputs)
    check_across_backends(folder, ["captioner", "matcher"], RUN, expected)
