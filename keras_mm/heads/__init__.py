"""Heads that sit on top of encoders."""

from keras_mm.heads.logit_scale import LogitScale
from keras_mm.heads.modality_projection import ModalityProjection
