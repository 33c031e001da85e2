"""Training objectives."""

from keras_mm.losses.contrastive import clip_loss
from keras_mm.losses.contrastive import siglip_loss
