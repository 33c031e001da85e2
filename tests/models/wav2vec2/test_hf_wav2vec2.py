import os
import shutil

import keras
import numpy as np
import pytest

from keras_mm.checkpoints import CheckpointMismatchError
from keras_mm.models import load_pretrained
from keras_mm.models.wav2vec2 import load_hf_wav2vec2


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _reference(model, input_values):
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(input_values)).last_hidden_state.numpy()


def test_encoder_reproduces_transformers(tiny_wav2vec2, waveforms):
    folder, model, _ = tiny_wav2vec2
    tower = load_pretrained(folder)
    assert (tower.modality, tower.source) == ("audio", "huggingface wav2vec2")
    # Three lengths padded into one batch; the reference sees the same
    # input_values and no attention mask, as the encoder (one shape keeps
    # jax's eager compiles few).
    inputs = tower.preprocessor(waveforms)
    expected = _reference(model, inputs["input_values"])
    outputs = tower.encoder(inputs)
    sequence = keras.ops.convert_to_numpy(outputs["sequence_output"])
    assert sequence.shape == expected.shape == (3, 159, 32)
    np.testing.assert_allclose(sequence, expected, atol=1e-4)
    np.testing.assert_allclose(
        _unit(keras.ops.convert_to_numpy(outputs["pooled_output"])),
        _unit(expected.mean(axis=1)), atol=1e-4)


def test_preprocessor_matches_transformers(tiny_wav2vec2, waveforms):
    folder, _, extractor = tiny_wav2vec2
    values = load_hf_wav2vec2(folder).preprocessor(waveforms)["input_values"]
    expected = extractor(waveforms, sampling_rate=16000, padding=True,
                         return_tensors="np")["input_values"]
    assert values.shape == expected.shape == (3, 3200)
    np.testing.assert_allclose(values, expected, atol=1e-4)


def test_task_checkpoint_loads_its_wav2vec2(tiny_wav2vec2, waveforms,
                                            tmp_path):
    from transformers import Wav2Vec2ForCTC

    folder, model, extractor = tiny_wav2vec2
    ctc = Wav2Vec2ForCTC(model.config)
    ctc.wav2vec2.load_state_dict(model.state_dict())
    ctc.save_pretrained(tmp_path)
    extractor.save_pretrained(tmp_path)
    tower = load_hf_wav2vec2(str(tmp_path))
    inputs = tower.preprocessor(waveforms)
    sequence = tower.encoder(inputs)["sequence_output"]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(sequence),
        _reference(model, inputs["input_values"]), atol=1e-4)


def test_missing_preprocessor_config_is_named(tiny_wav2vec2, tmp_path):
    folder = tiny_wav2vec2[0]
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(folder, name), tmp_path)
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json"):
        load_pretrained(str(tmp_path))


def test_wrong_tensor_shape_names_tensor_and_shapes(tiny_wav2vec2, tmp_path):
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    folder = tiny_wav2vec2[0]
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copy(os.path.join(folder, name), tmp_path)
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    name = "encoder.layers.0.feed_forward.output_dense.weight"
    tensors[name] = np.zeros((32, 48), "float32")
    save_file(tensors, os.path.join(tmp_path, "model.safetensors"))
    with pytest.raises(CheckpointMismatchError) as error:
        load_hf_wav2vec2(str(tmp_path))
    message = str(error.value)
    assert name in message and error.value.tensor_name == name
    assert "(32, 48)" in message and "(32, 64)" in message
    assert "\n" not in message
