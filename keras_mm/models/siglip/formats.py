"""The SigLIP checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.siglip.hf_siglip import is_hf_siglip_folder
from keras_mm.models.siglip.hf_siglip import load_hf_siglip
from keras_mm.models.siglip.keras_hub_siglip import (
    is_keras_hub_siglip_preset,
)
from keras_mm.models.siglip.keras_hub_siglip import load_keras_hub_siglip

FORMATS = [
    CheckpointFormat("huggingface siglip", is_hf_siglip_folder,
                     load_hf_siglip),
    CheckpointFormat("keras-hub siglip", is_keras_hub_siglip_preset,
                     load_keras_hub_siglip),
]
