"""Loaders for local checkpoints (Hugging Face, sentence-transformers,
keras-hub presets), and the pieces every family's loader shares: reading
tensor files (`tensor_files`, `lazy_tensors`) and `CheckpointMismatchError`.
Nothing here downloads.

The BERT-family loaders live in `keras_mm.models.bert`; their public names
are re-exported here so that `keras_mm.checkpoints.load_checkpoint` keeps
working.
"""

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.checkpoints.embedder import Embedder
from keras_mm.models.bert.hf_bert import load_hf_bert
from keras_mm.models.bert.keras_hub_bert import encoder_from_bert_backbone
from keras_mm.models.bert.keras_hub_bert import load_keras_hub_bert
from keras_mm.models.bert.load_checkpoint import is_checkpoint_folder
from keras_mm.models.bert.load_checkpoint import load_checkpoint
from keras_mm.models.bert.loaded_checkpoint import LoadedCheckpoint
from keras_mm.models.bert.random_hf_bert import write_random_hf_bert
