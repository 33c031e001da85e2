"""The BERT-family formats `keras_mm.models.load_pretrained` reads."""

import os

from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.hf_folder import has_weights
from keras_mm.models.hf_folder import model_type
from keras_mm.models.bert.sentence_transformers import transformer_folder
from keras_mm.models.keras_hub_preset_folder import keras_hub_backbone_class
from keras_mm.models.pretrained_tower import PretrainedTower


def is_hf_bert_folder(path):
    """A Hugging Face BERT folder, or sentence-transformers over BERT."""
    return os.path.isdir(path) and model_type(transformer_folder(path)) == (
        "bert")


def can_load_hf_bert(path):
    """A BERT folder that also holds its weights (a bare `config.json`
    names what is missing when loaded, but is no checkpoint)."""
    return is_hf_bert_folder(path) and has_weights(transformer_folder(path))


def is_keras_hub_bert(path):
    return os.path.isdir(path) and keras_hub_backbone_class(path) == (
        "BertBackbone")


def load_bert_tower(path, sequence_length=None, pooling=None,
                    normalize=None):
    """A BERT-family folder as a text `PretrainedTower`.

    Example:
    ```python
    tower = keras_mm.models.load_pretrained("all-MiniLM-L6-v2/")
    tower.encoder(tower.preprocessor(["a cat"]))["pooled_output"]
    ```
    """
    from keras_mm.models.bert.load_checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path, sequence_length, pooling, normalize)
    return PretrainedTower(checkpoint.encoder, checkpoint.preprocessor,
                           "text", checkpoint.source, path)


FORMATS = [
    CheckpointFormat("huggingface bert", is_hf_bert_folder, load_bert_tower,
                     can_load_hf_bert),
    CheckpointFormat("keras-hub bert", is_keras_hub_bert, load_bert_tower),
]
