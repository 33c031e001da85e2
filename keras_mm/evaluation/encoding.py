"""Embeddings of a contrastive model, computed in batches as NumPy arrays."""

import keras
import numpy as np

from keras_mm.evaluation.truncation import warn_if_truncated


def encode_batches(model, modality, inputs, batch_size=64):
    """Unit-norm embeddings `(N, D)` of one modality, as float32 NumPy.

    Args:
        model: a model with `encode(modality, inputs)` (e.g.
            `keras_mm.tasks.ContrastiveModel`).
        modality: str, e.g. `"image"` or `"text"`.
        inputs: dict of arrays with the modality encoder's `input_keys`.
        batch_size: int.
    """
    keys = model.encoders[modality].input_keys
    inputs = {k: inputs[k] for k in keys}
    if hasattr(model, "tower"):
        # The compiled path: one traced graph per batch size instead of
        # op-by-op eager calls (much slower on jax and tensorflow).
        towers = model.__dict__.setdefault("_eval_towers", {})
        if modality not in towers:
            towers[modality] = model.tower(modality)
        outputs = towers[modality].predict(inputs, batch_size=batch_size,
                                           verbose=0)
        return np.asarray(outputs, "float32")
    count = len(inputs[keys[0]])
    outputs = []
    for start in range(0, count, batch_size):
        batch = {k: v[start:start + batch_size] for k, v in inputs.items()}
        outputs.append(keras.ops.convert_to_numpy(
            model.encode(modality, batch, training=False)
        ))
    return np.concatenate(outputs).astype("float32")


def _numpy(x, dtype):
    # Tokenizers hand back TensorFlow tensors on some paths; np.asarray
    # reads those, and convert_to_numpy the current backend's own tensors.
    try:
        return np.asarray(x, dtype)
    except (TypeError, RuntimeError):
        return np.asarray(keras.ops.convert_to_numpy(x), dtype)


def text_inputs(preprocessor, texts):
    """`{"token_ids", "padding_mask"}` as NumPy; warns on truncation where
    the preprocessor can count tokens (`tokenize`)."""
    if hasattr(preprocessor, "tokenize"):
        warn_if_truncated(preprocessor, texts)
    out = preprocessor(list(texts))
    return {"token_ids": _numpy(out["token_ids"], "int32"),
            "padding_mask": _numpy(out["padding_mask"], "bool")}


def encode_texts(model, preprocessor, texts, batch_size=64):
    """Embeddings `(N, D)` of a list of strings (truncation warns)."""
    return encode_batches(model, "text", text_inputs(preprocessor, texts),
                          batch_size)


def encode_images(model, images, batch_size=64):
    """Embeddings `(N, D)` of images `(N, H, W, 3)` with values in [0, 255]."""
    images = np.asarray(images, "float32")
    return encode_batches(model, "image", {"images": images}, batch_size)
