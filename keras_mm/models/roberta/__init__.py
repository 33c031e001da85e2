"""RoBERTa text towers: Hugging Face and sentence-transformers folders."""

from keras_mm.models.roberta.hf_roberta import load_hf_roberta
from keras_mm.models.roberta.roberta_text_preprocessor import (
    RobertaTextPreprocessor,
)
from keras_mm.models.roberta.formats import FORMATS
