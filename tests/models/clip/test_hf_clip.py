"""A Hugging Face CLIP folder loads and reproduces transformers."""

import os

import numpy as np
import pytest

import hf_clip_fixture as fixture

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_clip"))
    fixture.write_hf_clip(folder)
    images = fixture.write_images(folder)
    return folder, images


def test_embeddings_and_logits_match_transformers(clip_folder):
    import keras

    import keras_mm

    folder, images = clip_folder
    texts_ref, images_ref, logits_ref = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    model = keras_mm.models.load_pretrained(folder)
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, texts_ref, atol=1e-4)
    np.testing.assert_allclose(image, images_ref, atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, logits_ref, atol=1e-4 * 10)
