"""VideoClipPreprocessor: clips -> VideoEncoder input, saved with it."""

import keras
import numpy as np
import pytest
from video_files import moving_square_frames
from video_files import square_left_edge
from video_files import write_moving_square

from keras_mm.data.video_decoder import clip_media
from keras_mm.models import VideoClipPreprocessor
from keras_mm.presets import from_preset


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_moving_square(tmp_path_factory.mktemp("v") / "square.mp4")


def test_frames_are_sampled_evenly_over_the_clip(video):
    preprocess = VideoClipPreprocessor(num_frames=4, image_size=32)
    out = preprocess([clip_media(video, 0.5, 1.5), video])
    assert list(out) == ["frames"]
    frames = out["frames"]
    assert frames.shape == (2, 4, 32, 32, 3) and frames.dtype == "float32"
    # Centres of four 0.25 s parts: 0.625, 0.875, 1.125, 1.375 s -> frames
    # 5, 7, 9, 11; the whole 2 s video: 0.25, 0.75, 1.25, 1.75 -> 2, 6, 10, 14.
    edges = [[square_left_edge(f.astype(np.uint8)) for f in clip]
             for clip in frames]
    np.testing.assert_allclose(edges, [[7, 9, 11, 13], [4, 8, 12, 16]],
                               atol=0.3)
    assert 0 <= frames.min() and frames.max() <= 255


def test_resizes_and_takes_decoded_arrays_and_npy_frames(video, tmp_path):
    preprocess = VideoClipPreprocessor(num_frames=2, image_size=16)
    assert preprocess([video])["frames"].shape == (1, 2, 16, 16, 3)
    array = moving_square_frames()
    from_array = preprocess.preprocess_one(array)
    assert from_array.shape == (2, 16, 16, 3)
    np.save(tmp_path / "square.npy", array)
    (tmp_path / "square.fps").write_text("8")
    from_npy = preprocess.preprocess_one(str(tmp_path / "square.npy"))
    np.testing.assert_allclose(from_npy, from_array)


def test_round_trips_through_keras_serialization():
    preprocess = VideoClipPreprocessor(num_frames=6, image_size=24)
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(preprocess))
    assert isinstance(again, VideoClipPreprocessor)
    assert again.get_config() == {"num_frames": 6, "image_size": 24}
    with pytest.raises(ValueError, match="num_frames must be a positive"):
        VideoClipPreprocessor(num_frames=0)


def test_video_clip_tiny_embeds_clips_and_keeps_them_after_saving(
        video, tmp_path):
    model = from_preset("video-clip-tiny")
    preprocess = model.preprocessors["video"]
    encoder = model.encoders["video"]
    assert preprocess.get_config() == VideoClipPreprocessor.for_encoder(
        encoder).get_config()
    assert encoder.input_keys == (preprocess.output_key,)
    clips = [clip_media(video, 0.0, 1.0), clip_media(video, 1.0, 2.0)]
    embeddings = model.embed("video", clips)
    assert embeddings.shape == (2, 64)
    model.save(str(tmp_path / "m.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "m.keras"))
    assert isinstance(loaded.preprocessors["video"], VideoClipPreprocessor)
    np.testing.assert_allclose(loaded.embed("video", clips), embeddings,
                               atol=1e-5)
