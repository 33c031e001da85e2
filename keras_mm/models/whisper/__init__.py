"""Whisper's audio encoder, its log-mel preprocessing and its Hugging Face
checkpoints."""

from keras_mm.models.whisper.hf_whisper import load_hf_whisper
from keras_mm.models.whisper.whisper_audio_encoder import WhisperAudioEncoder
from keras_mm.models.whisper.whisper_audio_preprocessor import (
    WhisperAudioPreprocessor,
)
