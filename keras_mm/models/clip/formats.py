"""The CLIP checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.clip.hf_clip import is_hf_clip_folder
from keras_mm.models.clip.hf_clip import load_hf_clip

FORMATS = [
    CheckpointFormat("huggingface clip", is_hf_clip_folder, load_hf_clip),
]
