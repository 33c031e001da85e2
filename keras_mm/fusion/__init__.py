"""Cross-modal fusion layers."""

from keras_mm.fusion.cross_attention_fusion import CrossAttentionFusion
from keras_mm.fusion.fusion_encoder import FusionEncoder
from keras_mm.fusion.gated_fusion import GatedFusion
