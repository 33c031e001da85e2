"""Task models: an objective on top of encoders, trainable with `fit`."""

from keras_mm.tasks.contrastive_model import ContrastiveModel
from keras_mm.tasks.captioning_model import CaptioningModel
