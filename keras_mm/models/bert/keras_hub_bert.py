"""Loading a local keras-hub BERT preset folder into `BertTextEncoder`.

A preset folder is what `keras_hub.models.BertBackbone.save_to_preset`
writes (`config.json`, `model.weights.h5`, `metadata.json`, and a tokenizer
with `assets/tokenizer/vocabulary.txt` when one was saved).
"""

import json
import os

import numpy as np

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.models.bert.loaded_checkpoint import LoadedCheckpoint


def is_keras_hub_preset(folder):
    metadata = os.path.join(folder, "metadata.json")
    if not os.path.exists(metadata):
        return False
    with open(metadata, encoding="utf-8") as f:
        return "keras_hub_version" in json.load(f)


def _copy(source_variable, target_variable, name):
    value = np.asarray(source_variable.numpy()).reshape(
        tuple(target_variable.shape)
    ) if np.size(source_variable.numpy()) == np.prod(
        target_variable.shape
    ) else None
    if value is None:
        raise CheckpointMismatchError(
            f"keras-hub tensor '{name}' has shape "
            f"{tuple(source_variable.shape)} but the model expects "
            f"{tuple(target_variable.shape)}", tensor_name=name,
        )
    target_variable.assign(value)


def encoder_from_bert_backbone(backbone, pooling="pooler", normalize=False):
    """A `BertTextEncoder` with the weights of a keras-hub `BertBackbone`.

    keras-hub's BERT uses the tanh-approximate GELU, so the encoder does too.
    """
    from keras_mm.models.bert.bert_text_encoder import BertTextEncoder

    if type(backbone).__name__ != "BertBackbone":
        raise ValueError(
            "Only keras-hub BertBackbone presets load into the text encoder. "
            f"Received: {type(backbone).__name__}"
        )
    encoder = BertTextEncoder(
        vocabulary_size=backbone.vocabulary_size,
        sequence_length=backbone.max_sequence_length,
        hidden_dim=backbone.hidden_dim,
        num_layers=backbone.num_layers,
        num_heads=backbone.num_heads,
        intermediate_dim=backbone.intermediate_dim,
        activation="gelu_approximate",
        layer_norm_epsilon=backbone.get_layer(
            "embeddings_layer_norm").epsilon,
        type_vocabulary_size=backbone.num_segments,
        pooling=pooling,
        normalize=normalize,
        name="bert_text_encoder",
    )
    source = {v.path: v for v in backbone.weights}
    mapping = {
        "token_embedding/embeddings": "token_embedding/embeddings",
        "position_embedding/embeddings": "position_embedding/embeddings",
        "segment_embedding/embeddings": "segment_embedding/embeddings",
        "embeddings_layer_norm/gamma": "embeddings_norm/gamma",
        "embeddings_layer_norm/beta": "embeddings_norm/beta",
    }
    if pooling == "pooler":
        mapping["pooled_dense/kernel"] = "pooler/kernel"
        mapping["pooled_dense/bias"] = "pooler/bias"
    for i in range(backbone.num_layers):
        hub, ours = f"transformer_layer_{i}/", f"block_{i}/"
        attention = hub + "self_attention_layer/"
        for hub_name, our_name in (
            (attention + "query", "query"),
            (attention + "key", "key"),
            (attention + "value", "value"),
            (attention + "attention_output", "attention_output"),
            (hub + "feedforward_intermediate_dense", "intermediate"),
            (hub + "feedforward_output_dense", "output_dense"),
        ):
            for part in ("kernel", "bias"):
                mapping[f"{hub_name}/{part}"] = f"{ours}{our_name}/{part}"
        for hub_name, our_name in (
            ("self_attention_layer_norm", "attention_norm"),
            ("feedforward_layer_norm", "output_norm"),
        ):
            for part in ("gamma", "beta"):
                mapping[f"{hub}{hub_name}/{part}"] = f"{ours}{our_name}/{part}"
    target = {v.path: v for v in encoder.weights}
    for hub_name, our_name in mapping.items():
        if hub_name not in source:
            raise CheckpointMismatchError(
                f"keras-hub preset is missing tensor '{hub_name}'",
                tensor_name=hub_name,
            )
        _copy(source[hub_name], target[our_name], hub_name)
    return encoder


def load_keras_hub_bert(folder, sequence_length=None, pooling="pooler",
                        normalize=False):
    """Loads a local keras-hub BERT preset folder, offline.

    Returns:
        `keras_mm.checkpoints.LoadedCheckpoint` whose preprocessor uses the
        preset's vocabulary (or `None` when no tokenizer was saved).

    Example:
    ```python
    checkpoint = keras_mm.models.bert.load_keras_hub_bert("bert_preset/")
    ```
    """
    import keras_hub

    from keras_mm.data.text_preprocessor import TextPreprocessor

    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No preset folder at {folder}")
    backbone = keras_hub.models.Backbone.from_preset(folder)
    encoder = encoder_from_bert_backbone(backbone, pooling, normalize)
    preprocessor = None
    if os.path.exists(os.path.join(folder, "tokenizer.json")):
        tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(folder)
        preprocessor = TextPreprocessor(
            tokenizer.get_vocabulary(),
            sequence_length=min(sequence_length or 512,
                                backbone.max_sequence_length),
            lowercase=getattr(tokenizer, "lowercase", True),
        )
    return LoadedCheckpoint(encoder, preprocessor, "keras-hub", folder)
