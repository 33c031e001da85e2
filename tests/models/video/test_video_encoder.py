import keras
import numpy as np

from keras_mm.models import VideoEncoder
from keras_mm.models import VisionTransformerEncoder
from keras_mm.testing import assert_round_trip


def _frame_encoder():
    return VisionTransformerEncoder(16, 8, 16, 1, 2, name="frame_encoder")


def _frames(n=2, t=3):
    return np.random.default_rng(0).uniform(0, 255, (n, t, 16, 16, 3)).astype(
        "float32")


def test_outputs_and_round_trip(tmp_path):
    encoder = VideoEncoder(_frame_encoder(), num_frames=3)
    out = encoder({"frames": _frames()})
    assert tuple(out["sequence_output"].shape) == (2, 3, 16)
    assert tuple(out["pooled_output"].shape) == (2, 16)
    reloaded = assert_round_trip(encoder, {"frames": _frames()}, tmp_path,
                                 atol=1e-5)
    assert isinstance(reloaded.frame_encoder, VisionTransformerEncoder)


def test_pooling_only_averages_frame_embeddings():
    frame_encoder = _frame_encoder()
    encoder = VideoEncoder(frame_encoder, num_frames=3, num_layers=0)
    frames = _frames()
    per_frame = np.stack([
        keras.ops.convert_to_numpy(
            frame_encoder({"images": frames[:, t]})["pooled_output"])
        for t in range(3)
    ], axis=1)
    pooled = keras.ops.convert_to_numpy(
        encoder({"frames": frames})["pooled_output"])
    np.testing.assert_allclose(pooled, per_frame.mean(1), atol=1e-5)


def test_temporal_transformer_sees_frame_order():
    encoder = VideoEncoder(_frame_encoder(), num_frames=3, num_layers=1)
    frames = _frames()
    forward = encoder.predict_on_batch({"frames": frames})["pooled_output"]
    backward = encoder.predict_on_batch(
        {"frames": frames[:, ::-1].copy()})["pooled_output"]
    assert not np.allclose(forward, backward, atol=1e-4)
