"""CLIP: Hugging Face and open_clip checkpoints, OpenAI's BPE tokenizer."""

from keras_mm.models.clip.clip_model import build_clip
from keras_mm.models.clip.clip_text_preprocessor import CLIPTextPreprocessor
from keras_mm.models.clip.quickstart_clip import build_quickstart_clip
from keras_mm.models.clip.hf_clip import load_hf_clip
from keras_mm.models.clip.hf_clip_writer import save_hf_clip
from keras_mm.models.clip.open_clip_checkpoint import load_open_clip
from keras_mm.models.clip.open_clip_checkpoint import save_open_clip
from keras_mm.models.clip.formats import FORMATS
