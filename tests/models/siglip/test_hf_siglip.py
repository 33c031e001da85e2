"""A Hugging Face SigLIP folder loads and reproduces transformers."""

import os

import numpy as np
import pytest

import siglip_fixture as fixture

pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def siglip_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_siglip"))
    fixture.write_hf_siglip(folder)
    images = fixture.write_images(folder)
    return folder, images


def test_embeddings_and_logits_match_transformers(siglip_folder):
    import keras

    import keras_mm

    folder, images = siglip_folder
    text_ref, image_ref, logits_ref, ids_ref = fixture.reference_hf_siglip(
        folder, fixture.TEXTS, images)
    model = keras_mm.models.load_pretrained(folder)
    assert model.loss_name == "siglip"
    tokens = model.preprocessors["text"](fixture.TEXTS)
    np.testing.assert_array_equal(tokens["token_ids"], ids_ref)
    assert tokens["padding_mask"].all()
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, text_ref, atol=1e-4)
    np.testing.assert_allclose(image, image_ref, atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, logits_ref, atol=1e-4 * 10)
