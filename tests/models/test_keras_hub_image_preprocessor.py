"""KerasHubImagePreprocessor resizes as keras-hub's ImageConverter, for
every resize option a converter config can hold."""

import numpy as np
import pytest

from odd_size_images import keras_hub_converted
from odd_size_images import write_odd_size_images

keras_hub = pytest.importorskip("keras_hub")


@pytest.mark.parametrize("options", [
    {},
    {"interpolation": "bicubic", "antialias": True},
    {"crop_to_aspect_ratio": False, "interpolation": "nearest"},
    {"crop_to_aspect_ratio": False, "pad_to_aspect_ratio": True},
    {"interpolation": "lanczos3", "image_size": (24, 20)},
])
def test_matches_the_converter(tmp_path, options):
    import keras

    from keras_mm.models import KerasHubImagePreprocessor

    options = {"image_size": (32, 32), **options}
    converter = keras_hub.layers.ImageConverter(**options)
    paths = write_odd_size_images(str(tmp_path))
    ours = KerasHubImagePreprocessor.from_converter(converter)
    if keras.backend.backend() == "torch" and options.get(
            "interpolation", "").startswith("lanczos"):
        # keras' Resizing has no Lanczos on torch, for keras-hub too.
        for resize in (ours, lambda p: keras_hub_converted(converter, p)):
            with pytest.raises(ValueError, match="Lanczos"):
                resize(paths)
        return
    expected = keras_hub_converted(converter, paths)
    np.testing.assert_allclose(ours(paths), expected, atol=1e-4)
    with open(paths[1], "rb") as f:  # encoded bytes, as serving has them
        np.testing.assert_allclose(ours.preprocess_one(f.read()),
                                   expected[1], atol=1e-4)


def test_serializes_and_names_a_pil_equivalent():
    import keras

    from keras_mm.models import KerasHubImagePreprocessor

    pre = KerasHubImagePreprocessor((32, 32), interpolation="bicubic",
                                    antialias=True)
    again = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(pre))
    assert again.get_config() == pre.get_config()
    pil = pre.pil_equivalent()
    assert (pil.size, pil.crop_size, pil.resample) == (32, 32, "bicubic")
    squash = KerasHubImagePreprocessor((32, 32), crop_to_aspect_ratio=False)
    assert squash.pil_equivalent().size == (32, 32)
    with pytest.raises(ValueError, match="no PIL equivalent"):
        KerasHubImagePreprocessor(
            (32, 32), crop_to_aspect_ratio=False,
            pad_to_aspect_ratio=True).pil_equivalent()
    with pytest.raises(ValueError, match="image_size"):
        KerasHubImagePreprocessor.from_converter(
            keras_hub.layers.ImageConverter(image_size=None), "preset/")
