"""A `.keras` model saved under any backend loads under the others."""

import shutil

import numpy as np
import pytest

from cross_backend import check_across_backends
from cross_backend import runs_once

EMBED = """
def outputs(models, data):
    inputs = dict(np.load(data + "/inputs.npz"))
    return models["model"].predict(inputs, verbose=0)
"""


@pytest.mark.large
@runs_once
def test_quickstart_model_reloads_under_other_backends(quickstart_run,
                                                       tmp_path):
    import keras_mm
    from keras_mm.datasets import make_image_text_pairs
    from keras_mm.data import TextPreprocessor

    out_dir, _ = quickstart_run
    folder = tmp_path / "saved"
    folder.mkdir()
    shutil.copy(out_dir / "model.keras", folder / "model.keras")
    model = keras_mm.load_model(str(folder / "model.keras"))
    pre = TextPreprocessor.from_vocabulary_file(str(out_dir / "vocab.txt"))
    pairs = make_image_text_pairs(8, seed=123)
    text = pre(pairs["captions"])
    inputs = {
        "images": pairs["images"].astype("float32"),
        "token_ids": np.asarray(text["token_ids"], "int32"),
        "padding_mask": np.asarray(text["padding_mask"], "bool"),
    }
    np.savez(folder / "inputs.npz", **inputs)
    expected = model.predict(inputs, verbose=0)
    check_across_backends(folder, ["model"], EMBED, expected)
