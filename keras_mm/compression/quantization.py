"""Keras-native post-training quantization for server-side inference.

`model.quantize(mode)` runs on every backend. A quantized `.keras` file does
not always reload through `keras.saving.load_model` (Keras' own
`MultiHeadAttention` fails with "Layer 'key' expected 2 variables, but
received 0"), so `load_quantized_model` falls back to rebuilding the float
model from the saved config, quantizing it the same way and loading the
weights, which reproduces the outputs exactly.
"""

import json
import os
import zipfile

import keras
import numpy as np

from keras_mm.metrics.cosine import row_cosine
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import recall_drop

QUANTIZE_MODES = ("int8", "int4", "float8")
_MODE_FILE = "keras_mm_quantization.json"


def quantize_model(model, mode="int8"):
    """Returns a quantized copy of `model` (the original stays float).

    Example:
    ```python
    quantized = keras_mm.compression.quantize_model(model, "int8")
    ```
    """
    if mode not in QUANTIZE_MODES:
        raise ValueError(f"mode must be one of {QUANTIZE_MODES}. "
                         f"Received: mode={mode!r}")
    clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    clone.quantize(mode)
    clone._keras_mm_quantization = mode
    return clone


def save_quantized_model(model, path, mode=None):
    """`model.save(path)` plus a note of the quantize mode inside the zip."""
    mode = mode or getattr(model, "_keras_mm_quantization", None)
    if mode is None:
        raise ValueError("Pass mode=: the model was not quantized by "
                         "keras_mm.compression.quantize_model.")
    model.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(_MODE_FILE, json.dumps({"mode": mode}))


def _float_config(config):
    """The saved config with quantized dtype policies made float again."""
    if isinstance(config, dict):
        if config.get("class_name", "").endswith("DTypePolicy") and (
            "source_name" in config.get("config", {})
        ):
            return config["config"]["source_name"]
        return {k: _float_config(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_float_config(v) for v in config]
    return config


def load_quantized_model(path):
    """Reloads a `.keras` saved by `save_quantized_model`.

    Tries `keras_mm.load_model` first; if Keras cannot restore the quantized
    variables, rebuilds the float model, quantizes it, and loads weights.
    """
    import keras_mm

    if not os.path.exists(path):
        raise FileNotFoundError(f"No model at {path}")
    try:
        return keras_mm.load_model(path, compile=False)
    except (ValueError, KeyError) as error:
        fallback_reason = error
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        names = archive.namelist()
        mode = (json.loads(archive.read(_MODE_FILE))["mode"]
                if _MODE_FILE in names else "int8")
    keras_mm.import_all()
    model = keras.saving.deserialize_keras_object(_float_config(config))
    model.quantize(mode)
    try:
        model.load_weights(path)
    except Exception as error:
        raise ValueError(
            f"Could not reload the quantized model at {path}: "
            f"{fallback_reason}; rebuild + load_weights also failed: {error}"
        ) from error
    model._keras_mm_quantization = mode
    return model


def quantization_report(float_model, quantized_model, inputs, labels):
    """Cosine, retrieval and `.keras`-size parity of a quantized model.

    Returns:
        `{"cosine_min", "cosine_mean", "retrieval", "float_retrieval",
        "r1_drop"}`.
    """
    ref = float_model.predict(inputs, batch_size=256, verbose=0)
    out = quantized_model.predict(inputs, batch_size=256, verbose=0)
    cosines = []
    for key in ref:
        cosines.append(row_cosine(ref[key], out[key]))
    cosines = np.concatenate(cosines)
    keys = [k for k in ref if k.endswith("_embeddings")][:2]
    float_r = recall_at_k(ref[keys[0]], ref[keys[1]], labels, labels)
    quant_r = recall_at_k(out[keys[0]], out[keys[1]], labels, labels)
    return {
        "cosine_min": float(cosines.min()),
        "cosine_mean": float(cosines.mean()),
        "retrieval": quant_r,
        "float_retrieval": float_r,
        "r1_drop": recall_drop(float_r, quant_r),
    }
