"""Tiny built-in data and encoders shared by the task tests (no fixtures)."""

import numpy as np

from keras_mm.data.text_preprocessor import RESERVED_TOKENS
from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.datasets import make_image_text_pairs
from keras_mm.datasets.shapes import caption_vocabulary

SEQUENCE_LENGTH = 16


def preprocessor(sequence_length=SEQUENCE_LENGTH):
    vocabulary = list(RESERVED_TOKENS) + caption_vocabulary()
    return TextPreprocessor(vocabulary, sequence_length=sequence_length)


def inputs(num_samples, seed, sequence_length=SEQUENCE_LENGTH):
    pairs = make_image_text_pairs(num_samples, image_size=32, seed=seed)
    text = preprocessor(sequence_length)(pairs["captions"])
    return {
        "images": pairs["images"].astype("float32"),
        "token_ids": np.asarray(text["token_ids"], "int32"),
        "padding_mask": np.asarray(text["padding_mask"], "bool"),
    }, pairs["captions"]


def image_encoder(**kwargs):
    from keras_mm.models import VisionTransformerEncoder

    config = dict(image_size=32, patch_size=8, hidden_dim=32, num_layers=1,
                  num_heads=2, name="image_encoder")
    config.update(kwargs)
    return VisionTransformerEncoder(**config)


def text_encoder(**kwargs):
    from keras_mm.models import TextTransformerEncoder

    config = dict(vocabulary_size=preprocessor().vocabulary_size,
                  sequence_length=SEQUENCE_LENGTH, hidden_dim=32,
                  num_layers=1, num_heads=2, name="text_encoder")
    config.update(kwargs)
    return TextTransformerEncoder(**config)
