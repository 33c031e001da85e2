"""The RoBERTa checkpoint formats `keras_mm.models.load_pretrained` reads."""

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.roberta.hf_roberta import is_hf_roberta_folder
from keras_mm.models.roberta.hf_roberta import load_hf_roberta

FORMATS = [
    CheckpointFormat("huggingface roberta", is_hf_roberta_folder,
                     load_hf_roberta),
]
