"""Loaders for local checkpoints (Hugging Face, sentence-transformers,
keras-hub presets). Nothing here downloads."""

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.checkpoints.hf_bert import load_hf_bert
from keras_mm.checkpoints.keras_hub_preset import encoder_from_bert_backbone
from keras_mm.checkpoints.keras_hub_preset import load_keras_hub_bert
from keras_mm.checkpoints.load_checkpoint import is_checkpoint_folder
from keras_mm.checkpoints.load_checkpoint import load_checkpoint
from keras_mm.checkpoints.loaded_checkpoint import LoadedCheckpoint
from keras_mm.checkpoints.random_hf_bert import write_random_hf_bert
from keras_mm.checkpoints.embedder import Embedder
