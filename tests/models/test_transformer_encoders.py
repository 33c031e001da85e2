"""The two original encoders: round trip and padding."""

import keras
import numpy as np

from keras_mm.models import TextTransformerEncoder
from keras_mm.models import VisionTransformerEncoder
from keras_mm.testing import assert_round_trip


def test_vision_transformer_round_trip(tmp_path):
    encoder = VisionTransformerEncoder(16, 8, 16, 1, 2, pooling="mean")
    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3))
    assert_round_trip(encoder, {"images": images.astype("float32")},
                      tmp_path, atol=1e-5)


def test_text_transformer_round_trip_and_padding(tmp_path):
    encoder = TextTransformerEncoder(30, 8, 16, 1, 2)
    ids = np.random.default_rng(0).integers(1, 30, (2, 8)).astype("int32")
    mask = np.arange(8)[None] < np.array([[5], [8]])
    inputs = {"token_ids": ids, "padding_mask": mask}
    assert_round_trip(encoder, inputs, tmp_path, atol=1e-5)
    out = encoder.predict_on_batch(inputs)
    other = encoder.predict_on_batch(
        {"token_ids": np.where(mask, ids, 3).astype("int32"),
         "padding_mask": mask})
    np.testing.assert_allclose(other["pooled_output"], out["pooled_output"],
                               atol=1e-5)
    np.testing.assert_allclose(other["sequence_output"][mask],
                               out["sequence_output"][mask], atol=1e-5)


def test_encode_pooled_matches_the_full_call():
    images = np.random.default_rng(1).uniform(0, 255, (2, 16, 16, 3))
    ids = np.random.default_rng(2).integers(1, 30, (3, 8)).astype("int32")
    mask = np.arange(8)[None] < np.array([[5], [8], [1]])
    cases = [
        (VisionTransformerEncoder(16, 8, 16, 2, 2, pooling="cls"),
         {"images": images.astype("float32")}),
        (VisionTransformerEncoder(16, 8, 16, 2, 2, pooling="mean"),
         {"images": images.astype("uint8")}),
        (TextTransformerEncoder(30, 8, 16, 2, 2, causal=True),
         {"token_ids": ids, "padding_mask": mask}),
        (TextTransformerEncoder(30, 8, 16, 2, 2, causal=False,
                                pooling="cls"),
         {"token_ids": ids, "padding_mask": mask}),
    ]
    for encoder, inputs in cases:
        full = encoder.predict_on_batch(inputs)["pooled_output"]
        fast = keras.ops.convert_to_numpy(encoder.encode_pooled(inputs))
        np.testing.assert_allclose(fast, full, atol=1e-5)
