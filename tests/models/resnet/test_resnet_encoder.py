import keras
import numpy as np
import pytest

from keras_mm.models import ResNetEncoder
from keras_mm.testing import assert_round_trip

TINY = dict(image_size=32, input_conv_filters=[64],
            input_conv_kernel_sizes=[3],
            stackwise_num_filters=[64, 64], stackwise_num_blocks=[1, 1],
            stackwise_num_strides=[1, 2])


def _images(n=2):
    return np.random.default_rng(0).uniform(0, 255, (n, 32, 32, 3)).astype(
        "float32")


def test_outputs_and_round_trip(tmp_path):
    encoder = ResNetEncoder(**TINY)
    out = encoder({"images": _images()})
    # 32 → stem conv /2 → max-pool /2 → stage 2 /2: a 4×4 map of 64 channels.
    assert tuple(out["sequence_output"].shape) == (2, 16, 64)
    pooled = keras.ops.convert_to_numpy(out["pooled_output"])
    np.testing.assert_allclose(
        pooled, keras.ops.convert_to_numpy(out["sequence_output"]).mean(1),
        atol=1e-5)
    assert_round_trip(encoder, {"images": _images()}, tmp_path, atol=1e-5)


def test_local_keras_hub_preset_loads(tmp_path):
    encoder = ResNetEncoder(**TINY)
    encoder.backbone.save_to_preset(str(tmp_path / "preset"))
    loaded = ResNetEncoder.from_keras_hub_preset(str(tmp_path / "preset"))
    np.testing.assert_allclose(
        loaded.predict_on_batch({"images": _images()})["pooled_output"],
        encoder.predict_on_batch({"images": _images()})["pooled_output"],
        atol=1e-6)


def test_keras_hub_constraints_are_explained():
    with pytest.raises(ValueError, match=r"stackwise_num_filters\[0\]"):
        ResNetEncoder(**{**TINY, "stackwise_num_filters": [32, 64]})
    with pytest.raises(ValueError, match="identity shortcut"):
        ResNetEncoder(**{**TINY, "input_conv_filters": [16]})
