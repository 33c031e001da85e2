"""`serve --index INDEX` with a built index: FAISS rows and filters."""

import httpx
import pytest

from keras_mm.data.pair import Pair
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.app import build_app
from keras_mm.serving.server import ServerThread

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def captions():
    return list(dict.fromkeys(make_image_text_pairs(12, seed=5)["captions"]))


@pytest.fixture(scope="module")
def built_service(keras_service, serve_model_dir, captions,
                  tmp_path_factory):
    from keras_mm.indexing import build_index
    from keras_mm.serving.server import load_service

    folder = str(tmp_path_factory.mktemp("built") / "index")
    pairs = [Pair(f"{i}.png", text, meta={"half": str(i % 2)})
             for i, text in enumerate(captions)]
    build_index(pairs, lambda batch: keras_service.embed_now(
        "text", [p.text for p in batch]), folder, shard_size=4,
        progress=False)
    service = load_service(serve_model_dir, index=folder, buckets=(1, 32),
                           warmup=False)
    yield service
    service.close()


def _post(service, body):
    with ServerThread(build_app(service)) as server:
        return httpx.post(f"{server.url}/search", json=body, timeout=60)


def test_built_index_is_loaded_and_filtered(built_service, captions):
    from keras_mm.indexing import FaissIndex

    assert isinstance(built_service.index, FaissIndex)
    assert built_service.index_loaded and len(built_service.index) == len(
        captions)
    response = _post(built_service, {"text": captions[3], "k": 3})
    assert response.status_code == 200, response.text
    best = response.json()["results"][0]
    assert best["caption"] == captions[3] and best["score"] > 0.999
    response = _post(built_service, {"text": captions[3], "k": 3,
                                     "filter": {"half": 0}})
    hits = response.json()["results"]
    assert len(hits) == 3 and {h["half"] for h in hits} == {"0"}


def test_bad_filters_are_422(built_service, keras_service):
    response = _post(built_service, {"text": "a", "filter": {"colour": "x"}})
    assert response.status_code == 422
    assert "no column 'colour'" in response.text
    response = _post(built_service, {"text": "a", "filter": ["half"]})
    assert response.status_code == 422
    response = _post(keras_service, {"text": "a", "filter": {"half": "0"}})
    assert response.status_code == 422
    assert "keras-mm index build" in response.text


def test_built_index_names_media_relative_to_its_data(keras_service,
                                                      serve_model_dir,
                                                      captions, tmp_path):
    from keras_mm.indexing import build_index
    from keras_mm.serving.server import load_service

    data = tmp_path / "photos"
    pairs = [Pair(str(data / "cats" / f"{i}.png"), text)
             for i, text in enumerate(captions)]
    folder = str(tmp_path / "index")
    build_index(pairs, lambda batch: keras_service.embed_now(
        "text", [p.text for p in batch]), folder, shard_size=4,
        progress=False, description={"data": str(data / "pairs.csv")})
    service = load_service(serve_model_dir, index=folder, buckets=(1, 32),
                           warmup=False)
    try:
        assert service.index_root == str(data)
        response = _post(service, {"text": captions[2], "k": 2})
        best = response.json()["results"][0]
        assert best["image"] == best["media"] == "cats/2.png"
        assert "cats/2.png" in service.index.images
    finally:
        service.close()
