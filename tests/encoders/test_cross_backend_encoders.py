"""Encoders saved under this backend load under the other two (≤ 1e-4)."""

import keras
import numpy as np
import pytest

from keras_mm.testing import run_in_backend

OTHERS = {"jax": ("tensorflow", "torch"), "tensorflow": ("jax", "torch"),
          "torch": ("jax", "tensorflow")}

LOAD_ALL = """
import json, numpy as np, keras_mm
result = {{}}
for name in {names!r}:
    model = keras_mm.load_model({folder!r} + "/" + name + ".keras")
    inputs = dict(np.load({folder!r} + "/" + name + ".npz"))
    out = model.predict_on_batch(inputs)
    result[name] = {{k: np.asarray(v).tolist() for k, v in out.items()}}
print(json.dumps(result))
"""


def _encoders():
    from keras_mm import encoders

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
def test_encoders_reload_under_other_backends(tmp_path):
    expected = {}
    for name, (encoder, inputs) in _encoders().items():
        encoder.save(tmp_path / f"{name}.keras")
        np.savez(tmp_path / f"{name}.npz", **inputs)
        expected[name] = encoder.predict_on_batch(inputs)
    code = LOAD_ALL.format(names=sorted(expected), folder=str(tmp_path))
    for other in OTHERS[keras.config.backend()]:
        actual = run_in_backend(other, code)
        for name, outputs in expected.items():
            for key, value in outputs.items():
                diff = np.abs(np.asarray(actual[name][key])
                              - np.asarray(value)).max()
                assert diff <= 1e-4, f"{name}/{key}: {diff} under {other}"
