"""Training objectives."""

from keras_mm.losses.contrastive import clip_loss
from keras_mm.losses.contrastive import siglip_loss
from keras_mm.losses.matching import itm_loss
from keras_mm.losses.reconstruction import masked_patch_loss
from keras_mm.losses.sequence import caption_loss
from keras_mm.losses.sequence import masked_token_loss
