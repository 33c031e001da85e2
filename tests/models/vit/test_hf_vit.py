"""Hugging Face ViT folders and keras-hub ViT presets load as image towers
and reproduce their reference library."""

import os

import numpy as np
import pytest

import hf_vit_fixture as fixture

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def vit_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_vit"))
    fixture.write_hf_vit(folder)
    return folder, fixture.write_images(folder)


def _outputs(tower, images):
    import keras

    out = tower.encoder({"images": tower.preprocessor(images)})
    return {k: keras.ops.convert_to_numpy(v) for k, v in out.items()}


def test_vit_model_matches_transformers(vit_folder):
    import keras_mm

    folder, images = vit_folder
    reference = fixture.reference_vit(folder, images)
    tower = keras_mm.models.load_pretrained(folder)
    assert tower.modality == "image" and tower.source == "huggingface vit"
    assert tower.encoder.layer_norm_epsilon == 1e-12
    out = _outputs(tower, images)
    np.testing.assert_allclose(out["sequence_output"], reference, atol=1e-4)
    # The pooled output is the final-normed class token.
    np.testing.assert_allclose(out["pooled_output"], reference[:, 0],
                               atol=1e-4)


def test_classifier_folder_loads_without_its_head(vit_folder, tmp_path):
    import keras_mm

    folder, images = vit_folder
    fixture.write_hf_vit(str(tmp_path), classifier=True)
    tower = keras_mm.models.load_pretrained(str(tmp_path))
    # The classifier's backbone was perturbed with the same seed as the
    # ViTModel, parameter for parameter, except its extra head.
    reference = fixture.reference_vit(str(tmp_path), images)
    np.testing.assert_allclose(_outputs(tower, images)["sequence_output"],
                               reference, atol=1e-4)


def test_keras_roundtrip_and_missing_processor(vit_folder, tmp_path):
    import keras

    import keras_mm

    folder, images = vit_folder
    tower = keras_mm.models.load_pretrained(folder)
    path = str(tmp_path / "vit.keras")
    tower.encoder.save(path)
    reloaded = keras.saving.load_model(path)
    pixels = tower.preprocessor(images)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(
            reloaded({"images": pixels})["pooled_output"]),
        keras.ops.convert_to_numpy(
            tower.encoder({"images": pixels})["pooled_output"]), atol=1e-6)
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        (bare / name).write_bytes(open(os.path.join(folder, name),
                                       "rb").read())
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json"):
        keras_mm.models.load_pretrained(str(bare))


@pytest.mark.parametrize("options", [
    {},
    {"use_class_token": False, "use_mha_bias": False, "use_mlp_bias": False},
])
def test_keras_hub_preset_matches_keras_hub(tmp_path, options):
    import keras

    import keras_mm

    pytest.importorskip("keras_hub")
    backbone, converter = fixture.write_keras_hub_vit(str(tmp_path),
                                                      **options)
    tower = keras_mm.models.load_pretrained(str(tmp_path))
    assert tower.source == "keras-hub vit"
    # Pixels at the model's size straight into the encoder (files of
    # other sizes: test_keras_hub_preset_image_files_match_keras_hub).
    pixels = np.random.default_rng(2).integers(
        0, 256, (2, 32, 32, 3)).astype("float32")
    reference = keras.ops.convert_to_numpy(backbone(converter(pixels)))
    out = tower.encoder({"images": pixels})
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out["sequence_output"]), reference,
        atol=1e-4)


def test_other_image_size_interpolates_positions(vit_folder):
    from keras_mm.models.vit import load_hf_vit

    folder, images = vit_folder
    tower = load_hf_vit(folder, image_size=48)
    assert tower.preprocessor.output_size == (48, 48)
    out = _outputs(tower, images)
    assert out["sequence_output"].shape == (3, 1 + 6 * 6, 32)
    assert np.all(np.isfinite(out["pooled_output"]))


@pytest.mark.parametrize("options", [
    {},
    {"use_class_token": False, "use_mha_bias": False, "use_mlp_bias": False},
])
def test_keras_hub_preset_image_files_match_keras_hub(tmp_path, options):
    """PNG/JPEG files of other sizes get the preset's `ViTImageConverter`
    resize (keras' `Resizing`, cropping to the aspect ratio)."""
    import keras_mm
    from odd_size_images import keras_hub_converted
    from odd_size_images import unit
    from odd_size_images import write_odd_size_images

    keras_hub = pytest.importorskip("keras_hub")
    preset = tmp_path / "preset"
    preset.mkdir()
    backbone, _ = fixture.write_keras_hub_vit(str(preset), **options)
    paths = write_odd_size_images(str(tmp_path))
    converter = keras_hub.layers.ViTImageConverter.from_preset(str(preset))
    reference = unit(backbone(keras_hub_converted(converter, paths)))
    tower = keras_mm.models.load_pretrained(str(preset))
    assert isinstance(tower.preprocessor,
                      keras_mm.models.KerasHubImagePreprocessor)
    out = _outputs(tower, paths)
    np.testing.assert_allclose(unit(out["sequence_output"]), reference,
                               atol=1e-4)
