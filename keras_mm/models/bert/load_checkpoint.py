"""One entry point for the BERT-family checkpoint folders (Hugging Face,
sentence-transformers, keras-hub `BertBackbone` presets), and the check
for whether a folder is any checkpoint keras_mm loads."""

import os

from keras_mm.models.bert.hf_bert import SUPPORTED_MODEL_TYPES
from keras_mm.models.bert.hf_bert import is_hf_format_folder
from keras_mm.models.bert.hf_bert import load_hf_bert
from keras_mm.models.bert.keras_hub_bert import is_keras_hub_preset
from keras_mm.models.bert.keras_hub_bert import load_keras_hub_bert


def is_checkpoint_folder(path):
    """Whether `path` is a folder that `load_checkpoint` (BERT family) or
    `keras_mm.models.load_pretrained` (every other format) reads."""
    from keras_mm.models import is_pretrained_checkpoint
    from keras_mm.models.hf_folder import model_type
    from keras_mm.models.keras_hub_preset_folder import (
        keras_hub_backbone_class,
    )

    if not os.path.isdir(path):
        return False
    if is_pretrained_checkpoint(path):
        return True
    if is_keras_hub_preset(path):
        return keras_hub_backbone_class(path) == "BertBackbone"
    if os.path.exists(os.path.join(path, "modules.json")):
        return True
    return is_hf_format_folder(path) and model_type(path) in (
        SUPPORTED_MODEL_TYPES)


def load_checkpoint(path, sequence_length=None, pooling=None,
                    normalize=None):
    """Loads a local BERT-family checkpoint folder, never downloading.

    Recognises a keras-hub preset folder (`metadata.json` written by
    keras-hub), a Hugging Face-format folder (`config.json` with a
    `model_type`) and a sentence-transformers folder (`modules.json`).

    Returns:
        `keras_mm.checkpoints.LoadedCheckpoint` (encoder + preprocessor).

    Example:
    ```python
    checkpoint = keras_mm.checkpoints.load_checkpoint("all-MiniLM-L6-v2/")
    checkpoint.embed_texts(["a photo of a cat"])
    ```
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(f"No checkpoint folder at {path}")
    if is_keras_hub_preset(path):
        return load_keras_hub_bert(
            path, sequence_length, pooling or "pooler", bool(normalize)
        )
    if is_hf_format_folder(path):
        return load_hf_bert(path, sequence_length, pooling, normalize)
    raise ValueError(
        f"{path} is neither a keras-hub preset folder (metadata.json) nor a "
        "Hugging Face folder (config.json with model_type)"
    )
