"""Hugging Face RoBERTa folders (and sentence-transformers ones over a
RoBERTa) -> `BertTextEncoder` + `RobertaTextPreprocessor`.

RoBERTa is BERT's architecture with three differences a loader absorbs:
positions start at `pad_token_id + 1` (fairseq's convention: position
ids are `padding_idx + cumsum(mask)`), so the first `pad_token_id + 1`
rows of the position table are never used by a real token and are dropped
here (as keras-hub's RoBERTa converter does), leaving a table indexed
from 0; the segment vocabulary has one row; and the tokenizer is GPT-2's
byte-level BPE with `<s> … </s>` and `<pad>` = 1. Pad tokens get their own
position in transformers, but their outputs are masked (keras_mm zeroes
them) and no real token attends to them, so nothing else changes.
"""

import os

import numpy as np

from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models.bert.hf_bert import assign_hf_weights
from keras_mm.models.bert.hf_bert import encoder_kwargs_from_hf
from keras_mm.models.bert.sentence_transformers import (
    read_sentence_transformers,
)
from keras_mm.models.hf_folder import model_type
from keras_mm.models.hf_folder import read_json
from keras_mm.models.bert.sentence_transformers import transformer_folder
from keras_mm.models.pretrained_tower import PretrainedTower
from keras_mm.models.roberta.roberta_text_preprocessor import (
    RobertaTextPreprocessor,
)

SUPPORTED_MODEL_TYPES = ("roberta",)
_POSITIONS = "embeddings.position_embeddings.weight"


def is_hf_roberta_folder(path):
    return (os.path.isdir(path)
            and model_type(transformer_folder(path)) in SUPPORTED_MODEL_TYPES)


def position_offset(config):
    """Rows of the position table before the first real token's."""
    return config.get("pad_token_id", 1) + 1


def roberta_kwargs_from_hf(config, source):
    """`BertTextEncoder` arguments from a RoBERTa `config.json`."""
    kind = config.get("model_type")
    if kind not in SUPPORTED_MODEL_TYPES:
        raise ValueError(f"{source}: model_type {kind!r} is not supported; "
                         f"supported: {SUPPORTED_MODEL_TYPES}")
    # The architecture is BERT's; only the position table is shorter.
    kwargs = encoder_kwargs_from_hf({**config, "model_type": "bert"})
    kwargs["sequence_length"] -= position_offset(config)
    return kwargs


def roberta_text_preprocessor(folder, sequence_length):
    """The folder's tokenizer: `vocab.json` + `merges.txt`, else
    `tokenizer.json`."""
    return RobertaTextPreprocessor.from_folder(folder, sequence_length)


def load_hf_roberta(folder, sequence_length=None, pooling=None,
                    normalize=None):
    """Builds a RoBERTa text tower from a local Hugging Face folder.

    Args:
        folder: str. A `RobertaModel` (or `RobertaFor…`, tensors under
            `roberta.`) `save_pretrained` folder with its tokenizer, or a
            sentence-transformers folder over one (`modules.json`).
        sequence_length: int. Tokenizer output length; defaults to the
            sentence-transformers `max_seq_length`, else the checkpoint's
            positions (at most 512).
        pooling: str. `"pooler"`, `"cls"` or `"mean"`; defaults to the
            sentence-transformers pooling, else the checkpoint's pooler
            when it has one (transformers' `pooler_output`), else `"cls"`.
        normalize: bool. L2-normalise the pooled output (defaults to
            sentence-transformers' `Normalize` module).

    Returns:
        `keras_mm.models.PretrainedTower` with a `BertTextEncoder` and a
        `RobertaTextPreprocessor` (modality `"text"`).

    Example:
    ```python
    tower = keras_mm.models.roberta.load_hf_roberta("roberta-base/")
    tower.encoder(tower.preprocessor(["a photo of a cat"]))
    ```
    """
    from keras_mm.models.bert.bert_text_encoder import BertTextEncoder

    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No checkpoint folder at {folder}")
    transformer, st_pooling, st_normalize, st_length = (
        read_sentence_transformers(folder))
    config = read_json(os.path.join(transformer, "config.json"))
    kwargs = roberta_kwargs_from_hf(config, transformer)
    tensors = read_tensors(transformer)
    offset = position_offset(config)
    for name in [n for n in tensors if n.endswith(_POSITIONS)]:
        tensors[name] = np.asarray(tensors[name])[offset:]
    if pooling is None:
        pooling = st_pooling or ("pooler" if any(
            n.endswith("pooler.dense.weight") for n in tensors) else "cls")
    normalize = st_normalize if normalize is None else normalize
    encoder = BertTextEncoder(**kwargs, pooling=pooling, normalize=normalize,
                              name="roberta_text_encoder")
    assign_hf_weights(encoder, tensors, source=transformer)
    length = min(sequence_length or st_length or 512,
                 kwargs["sequence_length"])
    preprocessor = roberta_text_preprocessor(transformer, length)
    source = ("sentence-transformers roberta" if transformer != folder
              or st_pooling else "huggingface roberta")
    return PretrainedTower(encoder, preprocessor, "text", source, folder)
