"""The albef-tiny and captioner-tiny preset JSON files build their models."""

import json
import os

import keras
import numpy as np
import pytest

import keras_mm

PRESET_DIR = os.path.join(os.path.dirname(keras_mm.__file__), "presets")


@pytest.mark.parametrize("name", ["albef-tiny", "captioner-tiny"])
def test_preset_builds(name, shapes_test):
    keras_mm.import_all()
    with open(os.path.join(PRESET_DIR, f"{name}.json")) as f:
        preset = json.load(f)
    model = keras.saving.deserialize_keras_object(
        {"class_name": preset["class_name"], "config": preset["config"]})
    assert model.count_params() == preset["metadata"]["params"]
    batch = {k: v[:2] for k, v in shapes_test.items()}
    batch["token_ids"] = np.pad(batch["token_ids"], ((0, 0), (0, 16)))
    batch["padding_mask"] = np.pad(batch["padding_mask"], ((0, 0), (0, 16)))
    out = model(batch)
    assert keras.tree.flatten(out)[0].shape[0] == 2
