"""Reading local checkpoint files (Hugging Face, sentence-transformers,
keras-hub): the tensor readers every family's loader shares
(`tensor_files`, `lazy_tensors`) and `CheckpointMismatchError`. Nothing
here downloads.

The BERT-family loaders live in `keras_mm.models.bert`, which builds on
this package; their public names also answer here
(`keras_mm.checkpoints.load_checkpoint`), loaded on first access so that
importing a reader never loads the model families.
"""

import importlib

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)

# Names of `keras_mm.models.bert` that answer here too, by module.
_MODEL_EXPORTS = {
    "load_hf_bert": "keras_mm.models.bert.hf_bert",
    "encoder_from_bert_backbone": "keras_mm.models.bert.keras_hub_bert",
    "load_keras_hub_bert": "keras_mm.models.bert.keras_hub_bert",
    "is_checkpoint_folder": "keras_mm.models.bert.load_checkpoint",
    "load_checkpoint": "keras_mm.models.bert.load_checkpoint",
    "LoadedCheckpoint": "keras_mm.models.bert.loaded_checkpoint",
    "write_random_hf_bert": "keras_mm.models.bert.random_hf_bert",
}


def __getattr__(name):
    module = _MODEL_EXPORTS.get(name)
    if module is None:
        raise AttributeError(
            f"module 'keras_mm.checkpoints' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_MODEL_EXPORTS))
