import keras
import numpy as np

from keras_mm.models import AudioEncoder
from keras_mm.testing import assert_round_trip


def _encoder():
    return AudioEncoder(num_samples=4000, sampling_rate=8000,
                        num_mel_bins=16, fft_length=256, sequence_stride=128,
                        hidden_dim=16, num_layers=1, num_heads=2)


def _audio(n=2):
    return np.random.default_rng(0).uniform(-1, 1, (n, 4000)).astype(
        "float32")


def test_outputs_and_round_trip(tmp_path):
    encoder = _encoder()
    out = encoder({"audio": _audio()})
    assert tuple(out["pooled_output"].shape) == (2, 16)
    assert out["sequence_output"].shape[1] == 16  # 32 mel frames, stride 2
    assert_round_trip(encoder, {"audio": _audio()}, tmp_path, atol=1e-5)


def test_examples_are_encoded_independently_of_the_batch():
    encoder = _encoder()
    audio = _audio(3)
    audio[2] *= 100.0  # A loud clip must not rescale its neighbours.
    together = keras.ops.convert_to_numpy(
        encoder({"audio": audio})["pooled_output"])
    alone = keras.ops.convert_to_numpy(
        encoder({"audio": audio[:1]})["pooled_output"])
    np.testing.assert_allclose(together[:1], alone, atol=1e-5)
    assert not np.allclose(together[0], together[2], atol=1e-3)
