"""SigLIP: Hugging Face `SiglipModel` folders and keras-hub presets."""

from keras_mm.models.siglip.siglip_model import build_siglip
from keras_mm.models.siglip.siglip_text_preprocessor import (
    SigLIPTextPreprocessor,
)
from keras_mm.models.siglip.hf_siglip import load_hf_siglip
from keras_mm.models.siglip.hf_siglip_writer import save_hf_siglip
from keras_mm.models.keras_hub_image_preprocessor import (
    KerasHubImagePreprocessor,
)
from keras_mm.models.siglip.keras_hub_siglip import load_keras_hub_siglip
from keras_mm.models.siglip.formats import FORMATS
