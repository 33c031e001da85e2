"""The SigLIP checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.siglip.hf_siglip import is_hf_siglip_folder
from keras_mm.models.siglip.hf_siglip import load_hf_siglip

FORMATS = [
    CheckpointFormat("huggingface siglip", is_hf_siglip_folder,
                     load_hf_siglip),
]
