"""The ViT checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.vit.hf_vit import is_hf_vit_folder
from keras_mm.models.vit.hf_vit import load_hf_vit
from keras_mm.models.vit.keras_hub_vit import is_keras_hub_vit_preset
from keras_mm.models.vit.keras_hub_vit import load_keras_hub_vit

FORMATS = [
    CheckpointFormat("huggingface vit", is_hf_vit_folder, load_hf_vit),
    CheckpointFormat("keras-hub vit", is_keras_hub_vit_preset,
                     load_keras_hub_vit),
]
