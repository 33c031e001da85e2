"""The HTTP service on a real socket: parity, concurrency, errors, cache."""

import base64
import concurrent.futures
import os

import httpx
import keras
import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.app import build_app
from keras_mm.serving.preprocessing import encode_png
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.server import ServerThread


@pytest.fixture(scope="module")
def server(keras_service):
    with ServerThread(build_app(keras_service, max_body_bytes=64 * 1024)) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def offline(service, modality, items):
    """Embeddings computed directly with the model (no server code path
    besides the shared preprocessing)."""
    model = service.runtime.model
    if modality == "text":
        inputs = text_inputs(service.text_preprocessor, items)
    else:
        inputs = {"images": np.stack(items).astype("float32")}
    return keras.ops.convert_to_numpy(model.encode(modality, inputs))


def b64png(pixels):
    return base64.b64encode(encode_png(pixels)).decode()


def test_served_embeddings_equal_offline(keras_service, client):
    pairs = make_image_text_pairs(5, seed=11)
    captions, images = pairs["captions"], list(pairs["images"])
    text_expected = offline(keras_service, "text", captions)
    image_expected = offline(keras_service, "image", images)

    r = client.post("/embed/text", json={"texts": captions})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["embeddings"], text_expected,
                               atol=1e-5, rtol=0)
    r = client.post("/embed/image",
                    json={"images": [b64png(x) for x in images]})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["embeddings"], image_expected,
                               atol=1e-5, rtol=0)
    # Multipart: one uploaded PNG file, one form text.
    keras_service.cache.clear()
    r = client.post("/embed/image", files=[
        ("image", ("x.png", encode_png(images[2]), "image/png"))])
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["embeddings"][0], image_expected[2],
                               atol=1e-5, rtol=0)
    r = client.post("/embed/text", data={"text": captions[3]})
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["embeddings"][0], text_expected[3],
                               atol=1e-5, rtol=0)


def test_32_concurrent_clients_each_get_their_own_result(keras_service,
                                                         server):
    pairs = make_image_text_pairs(32, seed=12)
    captions, images = pairs["captions"], list(pairs["images"])
    expected = {"text": offline(keras_service, "text", captions),
                "image": offline(keras_service, "image", images)}
    # Distinct inputs, so every request is a different cache key.
    assert len(set(captions[::2])) == 16
    keras_service.cache.clear()
    before = keras_service.metrics.as_dict()["batch_size"]

    def one_client(i):
        # Even clients embed their text, odd ones their image.
        with httpx.Client(base_url=server.url, timeout=60) as c:
            if i % 2 == 0:
                r = c.post("/embed/text", json={"text": captions[i]})
            else:
                r = c.post("/embed/image", json={"image": b64png(images[i])})
            assert r.status_code == 200, r.text
            return i, np.asarray(r.json()["embeddings"][0])

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one_client, range(32)))
    for i, vector in results:
        modality = "text" if i % 2 == 0 else "image"
        np.testing.assert_allclose(vector, expected[modality][i],
                                   atol=1e-5, rtol=0)
    after = keras_service.metrics.as_dict()["batch_size"]
    items = sum(after[m]["sum"] - before.get(m, {"sum": 0})["sum"]
                for m in ("text", "image"))
    calls = sum(after[m]["count"] - before.get(m, {"count": 0})["count"]
                for m in ("text", "image"))
    assert items == 32
    assert calls < 32  # Concurrent requests were grouped into batches.


@pytest.mark.parametrize("path, kwargs, status, fragment", [
    ("/embed/text", {"content": b'{"texts": ["a", '}, 400, "malformed JSON"),
    ("/embed/text", {"content": b"[1, 2]"}, 400, "must be an object"),
    ("/embed/text", {"json": {"texts": ["   "]}}, 422, "text is empty"),
    ("/embed/text", {"json": {"text": "red " * 200}}, 422, "the limit is"),
    ("/embed/text", {"json": {"words": ["a"]}}, 422, '"texts"'),
    ("/embed/text", {"json": {"texts": [3]}}, 422,
     "texts[0]: Input should be a valid string, got an integer"),
    ("/embed/image", {"json": {"image": base64.b64encode(
        b"not an image").decode()}}, 400, "could not decode image"),
    ("/embed/image", {"files": [("image", ("x.png", b"\x89PNG broken",
                                           "image/png"))]},
     400, "could not decode image"),
    ("/embed/image", {"json": {"image": "%%%"}}, 422,
     "image: not valid base64"),
    ("/embed/audio", {"json": {"audio": [[0.0, 1.0]]}}, 422,
     "no audio encoder"),
    ("/search", {"json": {"text": "a red circle", "k": 0}}, 422,
     "k: Input should be greater than or equal to 1"),
    ("/search", {"json": {"k": 3}}, 422, "exactly one"),
    ("/embed/text", {"content": b"x" * (65 * 1024)}, 413, "the limit is"),
    ("/no/such/endpoint", {"json": {}}, 404, "no endpoint"),
])
def test_bad_requests_get_a_clear_4xx_and_the_server_keeps_serving(
        client, path, kwargs, status, fragment):
    r = client.post(path, **kwargs)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.post("/embed/text", json={"text": "a red circle"}
                       ).status_code == 200


def test_wrong_method_is_405(client):
    r = client.get("/embed/text")
    assert r.status_code == 405 and "not allowed" in r.json()["error"]


def test_repeated_query_hits_the_cache(keras_service, client):
    keras_service.cache.clear()
    hits, misses = keras_service.cache.hits, keras_service.cache.misses
    first = client.post("/embed/text", json={"text": "A large  red circle"})
    # Same normalised text (case, spaces) → same key → a hit.
    second = client.post("/embed/text", json={"text": "a large red circle"})
    assert first.json()["embeddings"] == second.json()["embeddings"]
    assert (first.headers["x-cache"], second.headers["x-cache"]) == (
        "miss", "hit")
    assert float(second.headers["server-timing"].split("dur=")[1]) > 0
    assert keras_service.cache.misses == misses + 1
    assert keras_service.cache.hits == hits + 1
    text = client.get("/metrics").text
    assert f"keras_mm_cache_hits_total {keras_service.cache.hits}" in text
    assert 'keras_mm_requests_total{path="/embed/text",status="200"}' in text
    assert "keras_mm_batch_size_bucket" in text
    assert client.get("/metrics?format=json").json()["cache"]["hits"] >= 1


def test_search_both_directions_over_the_builtin_index(keras_service,
                                                       client):
    index = keras_service.index
    assert len(index) == 64
    caption = index.image_captions[0]
    r = client.post("/search", json={"text": caption, "k": 3})
    results = r.json()["results"]
    query = offline(keras_service, "text", [caption])[0]
    scores = index.image_embeddings @ query
    assert [x["image"] for x in results] == [
        index.images[i] for i in np.argsort(-scores, kind="stable")[:3]]
    np.testing.assert_allclose([x["score"] for x in results],
                               np.sort(scores)[::-1][:3], atol=1e-5)

    pixels = make_image_text_pairs(1, seed=13)["images"][0]
    r = client.post("/search", files=[("image", ("q.png", encode_png(pixels),
                                                 "image/png"))],
                    data={"k": "4"})
    results = r.json()["results"]
    assert r.json()["query"] == "image" and len(results) == 4
    assert all(x["caption"] in index.captions for x in results)
    assert [x["rank"] for x in results] == [1, 2, 3, 4]
    scores = [x["score"] for x in results]
    assert scores == sorted(scores, reverse=True)


def test_healthz(client):
    body = client.get("/healthz").json()
    assert body.pop("worker_pid") == os.getpid()
    assert body == {"status": "ok", "runtime": "keras",
                    "modalities": ["image", "text"], "index_size": 64}


def test_cache_hits_take_the_lean_path_with_identical_bytes(keras_service,
                                                           client):
    keras_service.cache.clear()
    body = {"texts": ["a small blue square", "a green  triangle"]}
    miss = client.post("/embed/text", json=body)
    hits = keras_service.cache.hits
    hit = client.post("/embed/text", json=body)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss",
                                                                "hit")
    # Pre-serialised vectors: byte for byte what the full path sends.
    assert hit.content == miss.content
    assert hit.headers["content-type"] == miss.headers["content-type"]
    assert keras_service.cache.hits == hits + 2
    # One cached text and one new one: the full path (a partial hit).
    r = client.post("/embed/text",
                    json={"texts": ["A green triangle", "a red star"]})
    assert r.headers["x-cache"] == "partial"
    np.testing.assert_allclose(r.json()["embeddings"][0],
                               miss.json()["embeddings"][1], atol=0)
    # A cached text inside a malformed request still gets its 4xx.
    r = client.post("/embed/text", json={"texts": ["a red star", 3]})
    assert r.status_code == 422 and "texts[1]" in r.json()["error"]
