"""A model converted from a pretrained checkpoint is served with its own
tokenizer and image preprocessing (no vocab.txt beside it)."""

import base64
import os
import sys

import numpy as np
import pytest

pytest.importorskip("transformers")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models",
                                "clip"))
import hf_clip_fixture as fixture  # noqa: E402


def test_served_embeddings_equal_transformers(tmp_path):
    from starlette.testclient import TestClient

    import keras_mm
    from keras_mm.serving.app import build_app
    from keras_mm.serving.server import load_service

    folder = str(tmp_path / "hf")
    fixture.write_hf_clip(folder)
    images = fixture.write_images(folder)
    text_ref, image_ref, _ = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    path = str(tmp_path / "clip.keras")
    keras_mm.models.load_pretrained(folder).save(path)
    service = load_service(path, buckets=(1, 4), max_wait_ms=1.0)
    try:
        with TestClient(build_app(service)) as client:
            texts = client.post("/embed/text",
                                json={"texts": fixture.TEXTS[:2]})
            encoded = [base64.b64encode(open(p, "rb").read()).decode()
                       for p in images]
            pictures = client.post("/embed/image", json={"images": encoded})
    finally:
        service.close()
    assert texts.status_code == 200, texts.text
    assert pictures.status_code == 200, pictures.text
    np.testing.assert_allclose(texts.json()["embeddings"], text_ref[:2],
                               atol=1e-4)
    np.testing.assert_allclose(pictures.json()["embeddings"], image_ref,
                               atol=1e-4)
