"""Named presets: small JSON files, built with one call."""

import json

import keras

import numpy as np
import pytest

from keras_mm.presets import from_preset
from keras_mm.presets import list_presets
from keras_mm.presets import preset_metadata
from keras_mm.presets import preset_registry

OURS = ("audio-clip-tiny", "clip-bench", "clip-small", "clip-tiny",
        "siglip-tiny", "video-clip-tiny")


def test_list_presets_holds_the_shipped_names():
    assert set(OURS) <= set(list_presets())
    for name in OURS:
        assert preset_metadata(name)["description"]


@pytest.mark.parametrize("name", [
    "audio-clip-tiny", "clip-tiny", "siglip-tiny", "video-clip-tiny",
    pytest.param("clip-small", marks=pytest.mark.large),
])
def test_preset_builds_with_its_recorded_parameter_count(name):
    model = from_preset(name)
    assert model.count_params() == preset_metadata(name)["params"]


def test_clip_bench_is_issue_10s_tiny_clip():
    model = from_preset("clip-bench")
    # ViT: patch conv 37,056 + class token 192 + positions 65×192 + 4 blocks
    # of 444,864 + final norm 384; text: 8192×192 tokens + 32×192 positions
    # + 4 blocks + norm; two bias-free 192→128 projections; log-scale.
    assert model.count_params() == 5_237_569
    assert round(model.count_params() / 1e6, 2) == 5.24
    image = model.encoders["image"]
    text = model.encoders["text"]
    assert (image.image_size, image.patch_size, image.hidden_dim,
            image.num_layers, image.num_heads, image.pooling) == (
        64, 8, 192, 4, 3, "cls")
    assert image.intermediate_dim == 4 * 192
    assert (text.sequence_length, text.vocabulary_size, text.hidden_dim,
            text.num_layers, text.num_heads, text.causal, text.pooling) == (
        32, 8192, 192, 4, 3, True, "eot")
    assert model.projection_dim == 128


def test_overrides_reach_nested_configs():
    model = from_preset("clip-tiny", projection_dim=32,
                        encoders__text__vocabulary_size=50,
                        encoders={"image": {"num_layers": 1}})
    assert model.projection_dim == 32
    assert model.encoders["text"].vocabulary_size == 50
    assert model.encoders["image"].num_layers == 1
    out = model({
        "images": np.zeros((2, 32, 32, 3), "float32"),
        "token_ids": np.ones((2, 32), "int32"),
        "padding_mask": np.ones((2, 32), "bool"),
    })
    embeddings = keras.ops.convert_to_numpy(out["image_embeddings"])
    assert embeddings.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0,
                               atol=1e-4)


def test_audio_clip_tiny_embeds_audio():
    model = from_preset("audio-clip-tiny")
    out = model({"audio": np.zeros((1, 16000), "float32"),
                 "token_ids": np.ones((1, 32), "int32"),
                 "padding_mask": np.ones((1, 32), "bool")})
    assert tuple(out["audio_embeddings"].shape) == (1, 64)


def test_video_clip_tiny_embeds_clips():
    model = from_preset("video-clip-tiny")
    out = model({"frames": np.zeros((1, 8, 32, 32, 3), "float32"),
                 "token_ids": np.ones((1, 32), "int32"),
                 "padding_mask": np.ones((1, 32), "bool")})
    assert tuple(out["video_embeddings"].shape) == (1, 64)


def test_wrong_names_fail_loudly():
    with pytest.raises(ValueError, match="Unknown preset"):
        from_preset("no-such-preset")
    with pytest.raises(ValueError, match="encoders__text__hiden_dim"):
        from_preset("clip-tiny", encoders__text__hiden_dim=8)


def test_a_new_json_file_is_a_new_preset(tmp_path, monkeypatch):
    preset = {
        "class_name": "TextTransformerEncoder",
        "config": {"vocabulary_size": 20, "sequence_length": 8,
                   "hidden_dim": 16, "num_layers": 1, "num_heads": 2},
        "metadata": {"description": "test", "params": None},
    }
    (tmp_path / "text-micro.json").write_text(json.dumps(preset))
    monkeypatch.setattr(preset_registry, "PRESET_DIR", str(tmp_path))
    assert list_presets() == ["text-micro"]
    encoder = from_preset("text-micro", num_layers=2)
    assert encoder.num_layers == 2 and encoder.hidden_dim == 16
