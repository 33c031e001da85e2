import numpy as np
import tensorflow as tf
import pytest

from keras_mm.data.audio_features import AudioFeatures
from keras_mm.data.image_augmentation import ImageAugmentation
from keras_mm.data.media import decode_image
from keras_mm.data.manifest import read_manifest
from keras_mm.data.pipeline import make_dataset


def _images(pairs, preprocessor, seed, **kwargs):
    augment = ImageAugmentation(seed=seed, **kwargs)
    ds = make_dataset(pairs, preprocessor, batch_size=8, augment=augment)
    return np.concatenate([b["images"].numpy() for b in ds])


@pytest.mark.large
def test_image_augmentation_is_seeded(builtin, preprocessor):
    pairs = read_manifest(builtin[1]["csv"]["test"])
    kwargs = dict(rotation=0.1, shift=0.1, shear=0.1, zoom=0.1,
                  flip="horizontal", crop_scale=(0.5, 1.0))
    a = _images(pairs, preprocessor, 1, **kwargs)
    b = _images(pairs, preprocessor, 1, **kwargs)
    c = _images(pairs, preprocessor, 2, **kwargs)
    original = np.stack([decode_image(p.media) for p in pairs])
    assert a.shape == (16, 32, 32, 3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0 and np.abs(a - original).mean() > 1.0
    assert 0 <= a.min() and a.max() <= 255.5
    assert ImageAugmentation(**kwargs).get_config()["crop_scale"] == (0.5, 1)


@pytest.mark.large
def test_mel_features_with_specaugment_masks(builtin, preprocessor):
    pairs = read_manifest(builtin[1]["audio"]["train"], media_key="audio",
                          text_key="transcript", modality="audio")

    def features(**kwargs):
        f = AudioFeatures(8000, num_mel_bins=16, frame_length=256,
                          frame_step=128, seed=3, **kwargs)
        ds = make_dataset(pairs, preprocessor, modality="audio",
                          audio_length=8000, sample_rate=8000, batch_size=4,
                          augment=f)
        return next(iter(ds))["audio"].numpy()

    plain = features()
    masked = features(frequency_mask=4, time_mask=10)
    assert plain.shape == masked.shape == (4, 63, 16)
    zeroed = masked == 0
    assert zeroed.any() and not (plain == 0).any()
    np.testing.assert_array_equal(masked[~zeroed], plain[~zeroed])


def test_bad_modality_is_refused(builtin, preprocessor):
    with pytest.raises(ValueError, match="modality"):
        make_dataset(read_manifest(builtin[1]["csv"]["test"]), preprocessor,
                     modality="video")


def _draws(batch, seed=0, **columns):
    draws = np.random.default_rng(seed).uniform(size=(batch, 12))
    for column, value in columns.items():
        draws[:, int(column[1:])] = value
    return tf.constant(draws, tf.float32)


def test_a_flip_is_the_mirrored_image():
    images = tf.constant(np.random.default_rng(0).uniform(
        0, 255, (2, 8, 6, 3)), tf.float32)
    flipped = ImageAugmentation(flip="horizontal").apply(
        images, _draws(2, c0=0.2))  # column 0 below 1/2: flipped
    np.testing.assert_allclose(flipped, images[:, :, ::-1], atol=1e-4)
    kept = ImageAugmentation(flip="vertical").apply(images, _draws(2, c0=0.7))
    np.testing.assert_allclose(kept, images, atol=1e-4)


def test_the_crop_matches_tensorflows_crop_and_resize():
    images = tf.constant(np.random.default_rng(1).uniform(
        0, 255, (3, 16, 16, 3)), tf.float32)
    augment = ImageAugmentation(crop_scale=(0.3, 0.8))
    draws = _draws(3, seed=2)
    # The same box from the same draws, for TensorFlow's own op.
    d = draws.numpy()
    area = 0.3 + 0.5 * d[:, 8]
    ratio = np.exp((2 * d[:, 9] - 1) * np.log(4 / 3))
    h = np.clip(np.sqrt(area / ratio), 0.05, 1)
    w = np.clip(np.sqrt(area * ratio), 0.05, 1)
    y0, x0 = d[:, 10] * (1 - h), d[:, 11] * (1 - w)
    boxes = np.stack([y0, x0, y0 + h, x0 + w], 1).astype("float32")
    expected = tf.image.crop_and_resize(images, boxes, tf.range(3), (16, 16))
    np.testing.assert_allclose(augment.apply(images, draws), expected,
                               atol=1e-3)


def test_the_combined_map_is_the_maps_in_sequence():
    # One resample through the product equals following each map in turn.
    kwargs = dict(rotation=0.1, shift=0.1, shear=0.2, zoom=0.2,
                  flip="horizontal_and_vertical", crop_scale=(0.5, 1.0))
    draws = _draws(4, seed=3)
    combined = ImageAugmentation(**kwargs).transforms(draws, 20, 30)
    point = np.array([[7.0, 11.0, 1.0]] * 4)  # (x, y, 1) in the output
    for name in ("crop_scale", "zoom", "shear", "shift", "rotation", "flip"):
        step = ImageAugmentation(**{name: kwargs[name]}).transforms(
            draws, 20, 30).numpy()
        matrices = np.concatenate([step, np.ones((4, 1))], 1).reshape(4, 3, 3)
        point = np.einsum("bij,bj->bi", matrices, point)
    matrices = np.concatenate([combined.numpy(), np.ones((4, 1))], 1)
    expected = np.einsum("bij,bj->bi", matrices.reshape(4, 3, 3),
                         [[7.0, 11.0, 1.0]] * 4)
    np.testing.assert_allclose(point, expected, rtol=1e-4, atol=1e-3)


def test_a_bad_flip_is_refused():
    with pytest.raises(ValueError, match="flip must be"):
        ImageAugmentation(flip="diagonal")
