"""Modality encoders: each maps a dict of inputs to pooled and token outputs."""

from keras_mm.encoders.text_transformer_encoder import TextTransformerEncoder
from keras_mm.encoders.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.encoders.bert_block import BertBlock
from keras_mm.encoders.bert_text_encoder import BertTextEncoder
from keras_mm.encoders.audio_encoder import AudioEncoder
from keras_mm.encoders.resnet_encoder import ResNetEncoder
from keras_mm.encoders.video_encoder import VideoEncoder
