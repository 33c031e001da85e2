"""Tiny wav2vec2 checkpoints written by transformers itself (no download):
a base-like one (group norm, post-norm blocks, even positional kernel) and
a large-lv60-like one (layer norms, pre-norm blocks, odd kernel, conv
biases)."""

import numpy as np
import pytest
import reference_weights

VARIANTS = {
    "base": dict(feat_extract_norm="group", do_stable_layer_norm=False,
                 num_conv_pos_embeddings=16, conv_bias=False),
    "stable": dict(feat_extract_norm="layer", do_stable_layer_norm=True,
                   num_conv_pos_embeddings=15, conv_bias=True),
}


def perturb(model):
    """Moves every parameter off its initial value (norm gains, biases
    included), so a mis-assigned tensor shows."""
    reference_weights.perturb(model, scale=0.1)


def tiny_wav2vec2_config(variant):
    from transformers import Wav2Vec2Config

    return Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, conv_dim=(16, 16, 16), conv_kernel=(10, 3, 2),
        conv_stride=(5, 2, 2), num_conv_pos_embedding_groups=4,
        vocab_size=16, **VARIANTS[variant])


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def tiny_wav2vec2(request, tmp_path_factory):
    """`(folder, torch Wav2Vec2Model, Wav2Vec2FeatureExtractor)`."""
    pytest.importorskip("transformers")
    import torch
    from transformers import Wav2Vec2FeatureExtractor
    from transformers import Wav2Vec2Model

    torch.manual_seed(0)
    model = Wav2Vec2Model(tiny_wav2vec2_config(request.param)).eval()
    perturb(model)
    # As the released checkpoints: base models take no attention mask,
    # "lv60" ones do (which changes where the normalisation looks).
    extractor = Wav2Vec2FeatureExtractor(
        do_normalize=True,
        return_attention_mask=request.param == "stable")
    folder = str(tmp_path_factory.mktemp(f"tiny_wav2vec2_{request.param}"))
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return folder, model, extractor


@pytest.fixture(scope="session")
def waveforms():
    """Three 16 kHz waveforms of different lengths, not zero-mean."""
    rng = np.random.default_rng(0)
    t = np.arange(3200) / 16000
    return [
        (0.1 + rng.uniform(-1, 1, 1600)).astype("float32"),
        (0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32"),
        (0.01 * rng.standard_normal(2400)).astype("float32"),
    ]
