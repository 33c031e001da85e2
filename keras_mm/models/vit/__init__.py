"""ViT image towers: Hugging Face folders and keras-hub presets."""

from keras_mm.models.vit.hf_vit import load_hf_vit
from keras_mm.models.vit.keras_hub_vit import load_keras_hub_vit
from keras_mm.models.vit.formats import FORMATS
