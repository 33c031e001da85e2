import numpy as np
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
