"""A keras-hub SigLIP preset loads and reproduces keras-hub."""

import os

import numpy as np
import pytest

import siglip_fixture as fixture

pytest.importorskip("keras_hub")
pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def siglip_preset(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("keras_hub_siglip"))
    fixture.write_keras_hub_siglip(folder)
    images = fixture.write_images(str(tmp_path_factory.mktemp("images")))
    return folder, images


def test_embeddings_and_logits_match_keras_hub(siglip_preset, tmp_path):
    import keras

    import keras_mm

    folder, images = siglip_preset
    text_ref, image_ref, logits_ref, ids_ref = (
        fixture.reference_keras_hub_siglip(folder, fixture.TEXTS, images))
    model = keras_mm.models.load_pretrained(folder)
    assert model.loss_name == "siglip"
    np.testing.assert_array_equal(
        model.preprocessors["text"](fixture.TEXTS)["token_ids"], ids_ref)
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, text_ref, atol=1e-4)
    np.testing.assert_allclose(image, image_ref, atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, logits_ref, atol=1e-4)

    path = str(tmp_path / "siglip.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    np.testing.assert_allclose(reloaded.embed("text", fixture.TEXTS), text,
                               atol=1e-6)
    np.testing.assert_allclose(reloaded.embed("image", images), image,
                               atol=1e-6)


def test_preset_without_tokenizer_names_the_file(siglip_preset, tmp_path):
    import shutil

    import keras_mm

    folder, _ = siglip_preset
    broken = str(tmp_path / "broken")
    shutil.copytree(folder, broken)
    assert "keras-hub siglip" in keras_mm.models.supported_formats()
    os.remove(os.path.join(broken, "tokenizer.json"))
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        keras_mm.models.load_pretrained(broken)


def test_png_and_jpeg_files_of_other_sizes_match_keras_hub(siglip_preset,
                                                          tmp_path):
    import keras_hub

    import keras_mm
    from odd_size_images import keras_hub_converted
    from odd_size_images import unit
    from odd_size_images import write_odd_size_images

    folder, _ = siglip_preset
    paths = write_odd_size_images(str(tmp_path),
                                  sizes=((30, 45, "PNG"), (52, 30, "JPEG"),
                                         (fixture.IMAGE_SIZE,
                                          fixture.IMAGE_SIZE, "PNG")))
    backbone = keras_hub.models.SigLIPBackbone.from_preset(folder)
    converter = keras_hub.layers.SigLIPImageConverter.from_preset(folder)
    reference = unit(backbone.get_vision_embeddings(
        keras_hub_converted(converter, paths)))
    model = keras_mm.models.load_pretrained(folder)
    np.testing.assert_allclose(model.embed("image", paths), reference,
                               atol=1e-4)
