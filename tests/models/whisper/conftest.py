"""A tiny Whisper checkpoint written by transformers itself (no download)."""

import numpy as np
import pytest
import reference_weights

# 50 tokens from 100 frames: chunk_length 1 s at 16 kHz, hop 160.
NUM_MEL_BINS = 16
MAX_SOURCE_POSITIONS = 50
CHUNK_LENGTH = 1


def perturb(model):
    """Moves every parameter off its initial value (norm gains, biases
    included), so a mis-assigned tensor shows."""
    reference_weights.perturb(model, scale=0.1)


def tiny_whisper_config():
    from transformers import WhisperConfig

    return WhisperConfig(
        vocab_size=64, num_mel_bins=NUM_MEL_BINS, d_model=32,
        encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=64,
        max_source_positions=MAX_SOURCE_POSITIONS, max_target_positions=16,
        pad_token_id=1, bos_token_id=2, eos_token_id=2,
        decoder_start_token_id=3, suppress_tokens=[],
        begin_suppress_tokens=[])


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory):
    """`(folder, torch WhisperModel, WhisperFeatureExtractor)`."""
    pytest.importorskip("transformers")
    import torch
    from transformers import WhisperFeatureExtractor
    from transformers import WhisperModel

    torch.manual_seed(0)
    model = WhisperModel(tiny_whisper_config()).eval()
    perturb(model)
    extractor = WhisperFeatureExtractor(
        feature_size=NUM_MEL_BINS, chunk_length=CHUNK_LENGTH)
    folder = str(tmp_path_factory.mktemp("tiny_whisper"))
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return folder, model, extractor


@pytest.fixture(scope="session")
def waveforms():
    """Three 16 kHz waveforms: noise, a tone longer than the 1 s chunk, a
    quiet short burst."""
    rng = np.random.default_rng(0)
    t = np.arange(20000) / 16000
    return [
        rng.uniform(-1, 1, 9000).astype("float32"),
        (0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32"),
        (0.01 * rng.standard_normal(3000)).astype("float32"),
    ]
