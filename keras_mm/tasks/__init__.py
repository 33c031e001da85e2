"""Task models: an objective on top of encoders, trainable with `fit`."""

from keras_mm.tasks.contrastive_model import ContrastiveModel
from keras_mm.tasks.captioning_model import CaptioningModel
from keras_mm.tasks.image_text_matching_model import ImageTextMatchingModel
from keras_mm.tasks.masked_image_model import MaskedImageModel
from keras_mm.tasks.masked_language_model import MaskedLanguageModel
from keras_mm.tasks.feed_defaults import FeedDefaults
