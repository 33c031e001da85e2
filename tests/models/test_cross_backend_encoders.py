"""Encoders saved under any backend load under the others (<= 1e-4)."""

import numpy as np
import pytest

from cross_backend import check_across_backends
from cross_backend import runs_once

NAMES = ("audio", "bert", "resnet", "video")

OUTPUTS = """
def outputs(models, data):
    result = {}
    for name, model in models.items():
        inputs = dict(np.load(data + "/" + name + ".npz"))
        for key, value in model.predict_on_batch(inputs).items():
            result[name + "/" + key] = value
    return result
"""


def _encoders():
    from keras_mm import models as encoders

    rng = np.random.default_rng(0)
    mask = np.arange(8)[None] < np.array([[5], [8]])
    return {
        "bert": (
            encoders.BertTextEncoder(30, 8, 16, 1, 2, pooling="pooler"),
            {"token_ids": rng.integers(0, 30, (2, 8)).astype("int32"),
             "padding_mask": mask},
        ),
        "resnet": (
            encoders.ResNetEncoder(
                32, input_conv_filters=[64], input_conv_kernel_sizes=[3],
                stackwise_num_filters=[64], stackwise_num_blocks=[1],
                stackwise_num_strides=[1]),
            {"images": rng.uniform(0, 255, (2, 32, 32, 3)).astype(
                "float32")},
        ),
        "audio": (
            encoders.AudioEncoder(2000, sampling_rate=8000, num_mel_bins=16,
                                  fft_length=256, sequence_stride=128,
                                  hidden_dim=16, num_layers=1, num_heads=2),
            {"audio": rng.uniform(-1, 1, (2, 2000)).astype("float32")},
        ),
        "video": (
            encoders.VideoEncoder(
                encoders.VisionTransformerEncoder(16, 8, 16, 1, 2),
                num_frames=2),
            {"frames": rng.uniform(0, 255, (2, 2, 16, 16, 3)).astype(
                "float32")},
        ),
    }


@pytest.mark.large
@runs_once
def test_encoders_reload_under_other_backends(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    expected = {}
    encoders = _encoders()
    assert sorted(encoders) == list(NAMES)
    for name, (encoder, inputs) in encoders.items():
        encoder.save(folder / f"{name}.keras")
        np.savez(folder / f"{name}.npz", **inputs)
        for key, value in encoder.predict_on_batch(inputs).items():
            expected[f"{name}/{key}"] = value
    check_across_backends(folder, NAMES, OUTPUTS, expected)
