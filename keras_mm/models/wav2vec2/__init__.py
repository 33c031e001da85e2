"""wav2vec 2.0's audio encoder, its input normalisation and its Hugging
Face checkpoints."""

from keras_mm.models.wav2vec2.hf_wav2vec2 import load_hf_wav2vec2
from keras_mm.models.wav2vec2.wav2vec2_audio_encoder import (
    Wav2Vec2AudioEncoder,
)
from keras_mm.models.wav2vec2.wav2vec2_audio_preprocessor import (
    Wav2Vec2AudioPreprocessor,
)
from keras_mm.models.wav2vec2.wav2vec2_layers import TimeNormalization
