"""Recognising a keras-hub `save_to_preset` folder and its backbone."""

import json
import os

import numpy as np


def keras_hub_backbone_class(folder):
    """The backbone class name of a keras-hub preset folder, or `None`."""
    metadata = os.path.join(folder, "metadata.json")
    config = os.path.join(folder, "config.json")
    if not (os.path.isfile(metadata) and os.path.isfile(config)):
        return None
    try:
        with open(metadata, encoding="utf-8") as f:
            if "keras_hub_version" not in json.load(f):
                return None
        with open(config, encoding="utf-8") as f:
            return json.load(f).get("class_name")
    except (OSError, ValueError):
        return None


def float32_numpy(variable):
    """A keras-hub backbone's variable as a float32 NumPy array."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable), np.float32)
