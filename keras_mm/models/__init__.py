"""Model families: each folder holds a family's encoder options,
preprocessing and converters from (and back to) its checkpoint formats.

`load_pretrained(path)` reads any supported local checkpoint; nothing is
ever downloaded.
"""

from keras_mm.models.audio.audio_encoder import AudioEncoder
from keras_mm.models.audio.waveform_preprocessor import WaveformPreprocessor
from keras_mm.models.bert.bert_block import BertBlock
from keras_mm.models.bert.bert_text_encoder import BertTextEncoder
from keras_mm.models.clip.text_transformer_encoder import (
    TextTransformerEncoder,
)
from keras_mm.models.resnet.resnet_encoder import ResNetEncoder
from keras_mm.models.video.video_clip_preprocessor import (
    VideoClipPreprocessor,
)
from keras_mm.models.video.video_encoder import VideoEncoder
from keras_mm.models.vit.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.models import clip  # noqa: F401  (registers its classes)
from keras_mm.models import siglip  # noqa: F401
from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.dual_encoder import dual_encoder
from keras_mm.models import roberta  # noqa: F401  (registers its classes)
from keras_mm.models import vit  # noqa: F401
from keras_mm.models import wav2vec2  # noqa: F401
from keras_mm.models import whisper  # noqa: F401
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.keras_hub_image_preprocessor import (
    KerasHubImagePreprocessor,
)
from keras_mm.models.pretrained_tower import PretrainedTower
from keras_mm.models.load_pretrained import is_pretrained_checkpoint
from keras_mm.models.load_pretrained import load_pretrained
from keras_mm.models.load_pretrained import supported_formats
from keras_mm.models.save_pretrained import save_pretrained
