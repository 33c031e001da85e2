"""The CLIP checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.clip.hf_clip import is_hf_clip_folder
from keras_mm.models.clip.hf_clip import load_hf_clip
from keras_mm.models.clip.keras_hub_clip import is_keras_hub_clip
from keras_mm.models.clip.keras_hub_clip import load_keras_hub_clip
from keras_mm.models.clip.open_clip_checkpoint import can_load_open_clip
from keras_mm.models.clip.open_clip_checkpoint import is_open_clip_hub_folder
from keras_mm.models.clip.open_clip_checkpoint import (
    is_open_clip_training_checkpoint,
)
from keras_mm.models.clip.open_clip_checkpoint import load_open_clip

FORMATS = [
    CheckpointFormat("huggingface clip", is_hf_clip_folder, load_hf_clip),
    CheckpointFormat("keras-hub clip", is_keras_hub_clip,
                     load_keras_hub_clip),
    CheckpointFormat("open_clip hub folder", is_open_clip_hub_folder,
                     load_open_clip, can_load_open_clip),
    CheckpointFormat("open_clip training checkpoint",
                     is_open_clip_training_checkpoint, load_open_clip,
                     can_load_open_clip),
]
