import os
import shutil

import keras
import numpy as np
import pytest

from keras_mm.checkpoints import CheckpointMismatchError
from keras_mm.models import is_pretrained_checkpoint
from keras_mm.models import load_pretrained
from keras_mm.models.whisper import load_hf_whisper


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _reference(model, extractor, waveforms):
    import torch

    features = extractor(waveforms, sampling_rate=16000,
                         return_tensors="pt")["input_features"]
    with torch.no_grad():
        hidden = model.encoder(features).last_hidden_state.numpy()
    return hidden


def test_encoder_reproduces_transformers(tiny_whisper, waveforms):
    folder, model, extractor = tiny_whisper
    tower = load_pretrained(folder)
    assert (tower.modality, tower.source) == ("audio", "huggingface whisper")
    outputs = tower.encoder(tower.preprocessor(waveforms))
    expected = _reference(model, extractor, waveforms)
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    assert sequence.shape == expected.shape == (3, 50, 32)
    np.testing.assert_allclose(sequence, expected, atol=1e-4)
    np.testing.assert_allclose(
        _unit(keras.ops.convert_to_numpy(outputs["pooled_output"])),
        _unit(expected.mean(axis=1)), atol=1e-4)


def test_generation_checkpoint_loads_its_encoder(tiny_whisper, waveforms,
                                                 tmp_path):
    from transformers import WhisperForConditionalGeneration

    folder, model, extractor = tiny_whisper
    generation = WhisperForConditionalGeneration(model.config)
    generation.model.load_state_dict(model.state_dict())
    generation.save_pretrained(tmp_path)
    extractor.save_pretrained(tmp_path)
    tower = load_hf_whisper(str(tmp_path))
    sequence = tower.encoder(tower.preprocessor(waveforms[:1]))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(sequence["sequence_output"]),
        _reference(model, extractor, waveforms[:1]), atol=1e-4)


def test_missing_preprocessor_config_is_named(tiny_whisper, tmp_path):
    folder = tiny_whisper[0]
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(folder, name), tmp_path)
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json"):
        load_pretrained(str(tmp_path))


def test_wrong_tensor_shape_names_tensor_and_shapes(tiny_whisper, tmp_path):
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    folder = tiny_whisper[0]
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copy(os.path.join(folder, name), tmp_path)
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    tensors["encoder.layers.1.fc1.weight"] = np.zeros((48, 32), "float32")
    save_file(tensors, os.path.join(tmp_path, "model.safetensors"))
    with pytest.raises(CheckpointMismatchError) as error:
        load_hf_whisper(str(tmp_path))
    message = str(error.value)
    assert "encoder.layers.1.fc1.weight" in message
    assert "(48, 32)" in message and "(64, 32)" in message
    assert "\n" not in message


def test_preprocessor_that_does_not_fit_the_encoder(tiny_whisper, tmp_path):
    from transformers import WhisperFeatureExtractor

    folder = tiny_whisper[0]
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(folder, name), tmp_path)
    WhisperFeatureExtractor(feature_size=16, chunk_length=2).save_pretrained(
        tmp_path)
    with pytest.raises(ValueError, match="16 mel bins x 200 frames"):
        load_hf_whisper(str(tmp_path))


def test_detects_whisper_folders_only(tiny_whisper, tmp_path):
    assert is_pretrained_checkpoint(tiny_whisper[0])
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    assert not is_pretrained_checkpoint(str(tmp_path))
    (tmp_path / "config.json").write_text("not json")
    assert not is_pretrained_checkpoint(str(tmp_path))
