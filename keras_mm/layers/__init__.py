"""Building blocks shared by the encoders."""

from keras_mm.layers import activations
from keras_mm.layers.attention_pooling import AttentionPooling
from keras_mm.layers.fused_dense import FusedDense
from keras_mm.layers.image_normalization import ImageNormalization
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.layers.patch_embedding import PatchEmbedding
from keras_mm.layers.position_embedding import PositionEmbedding
from keras_mm.layers.transformer_block import TransformerBlock
