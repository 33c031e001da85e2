"""Bad requests, floods and slow clients: each gets its own answer, and
the good requests around them still get theirs."""

import asyncio
import concurrent.futures
import json
import logging
import socket
import struct
import time
import zlib

import httpx
import keras
import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.app import build_app
from keras_mm.serving.embedding_service import EmbeddingService
from keras_mm.serving.preprocessing import RequestError
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.server import ServerThread
from keras_mm.serving.serving_limits import ServingLimits


@pytest.fixture(scope="module")
def server(keras_service):
    limits = ServingLimits(max_body_bytes=256 * 1024, read_timeout_s=1.0,
                           idle_timeout_s=1.0)
    with ServerThread(build_app(keras_service, limits=limits)) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def offline_text(service, texts):
    model = service.runtime.model
    return keras.ops.convert_to_numpy(model.encode(
        "text", text_inputs(service.text_preprocessor, texts)))


def png_declaring(width, height):
    """A ~100-byte PNG whose header declares `width` x `height` RGB."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND",
                                                                  b""))


def test_a_lone_surrogate_never_fails_its_batch_mates(keras_service,
                                                      server):
    captions = [f"{c} batch mate {i}" for i, c in enumerate(
        make_image_text_pairs(15, seed=41)["captions"])]
    expected = offline_text(keras_service, captions)
    poison = b'{"texts": ["\\ud800"]}'

    def send(i):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            if i < 0:
                return i, c.post("/embed/text", content=poison, headers={
                    "content-type": "application/json"})
            return i, c.post("/embed/text", json={"text": captions[i]})

    for round_ in range(3):
        keras_service.cache.clear()
        jobs = [-1, *range(8), -2, *range(8, 15), -3]
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(send, jobs))
        for i, r in answers:
            if i < 0:
                assert r.status_code == 400, r.text
                assert "malformed JSON" in r.json()["error"]
                continue
            assert r.status_code == 200, (round_, r.text)
            np.testing.assert_allclose(r.json()["embeddings"][0],
                                       expected[i], atol=1e-5, rtol=0)


def test_text_the_tokenizer_refuses_is_its_own_422(keras_service):
    async def embed(texts):
        return await keras_service.embed_texts(texts)

    with pytest.raises(RequestError, match=r"texts\[1\]: .*lone surrogate"):
        asyncio.run(embed(["fine", "bad \ud800"]))


@pytest.mark.parametrize("path, body, status, fragment", [
    ("/embed/text", b"[" * 16000, 400, "malformed JSON"),
    ("/embed/text", b"{" * 3 + b"[" * 5000, 400, "malformed JSON"),
    ("/search", b'{"text": "a red circle", "k": Infinity}', 422,
     "k: Input should be a valid integer, got a number"),
    ("/search", b'{"text": "a red circle", "k": NaN}', 422,
     "k: Input should be a valid integer, got a number"),
    ("/search", b'{"text": "a red circle", "k": 2.9}', 422,
     "k: Input should be a valid integer, got a number"),
    ("/search", b'{"text": "a red circle", "k": true}', 422,
     "k: Input should be a valid integer, got a boolean"),
    ("/search", b'{"text": "a red circle", "k": "3"}', 422, "k: "),
    ("/search", b'{"text": "a red circle", "k": 101}', 422,
     "k: Input should be less than or equal to 100"),
    ("/search", b'{"text": "a red circle", "k": 1e400}', 422, "k: "),
    ("/search", b'{"text": "a", "image": "AAAA"}', 422, "exactly one"),
    ("/embed/text", b'{"texts": []}', 422, "texts: List should have at "
     "least 1 item"),
    ("/embed/text", b'{"texts": "a red circle"}', 422,
     "texts: Input should be a valid array, got a string"),
    ("/embed/text", b'{"texts": [null]}', 422, "texts[0]: "),
    ("/embed/text", b'{"text": ["a"]}', 422, "text: "),
    ("/embed/text", b'{"texts": ["a"], "extra": 1}', 422,
     "extra: Extra inputs are not permitted"),
    ("/embed/text", b'{"texts": ["a\xff"]}', 400, "malformed JSON"),
    ("/embed/text", b"", 400, "empty request body"),
    ("/embed/text", b"null", 400, "must be an object"),
    ("/embed/text", json.dumps({"texts": ["a"] * 65}).encode(), 422,
     "texts: List should have at most 64 items"),
    ("/embed/image", b'{"images": [1]}', 422, "images[0]: "),
    ("/embed/image", b'{"images": []}', 422, "images: "),
])
def test_strict_types_give_one_line_4xx_naming_the_field(
        client, path, body, status, fragment):
    r = client.post(path, content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert fragment in error
    assert "\n" not in error and "Traceback" not in error
    assert client.post("/embed/text", json={"text": "still fine"}
                       ).status_code == 200


def test_json_sent_as_a_form_says_which_header_is_missing(client):
    r = client.post("/embed/text", content=b'{"texts": ["a red circle"]}',
                    headers={"content-type":
                             "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    assert "Content-Type: application/json" in r.json()["error"]


def test_a_500_names_a_request_id_never_the_exception(
        keras_service, client, monkeypatch, caplog):
    def broken(modality, inputs):
        raise RuntimeError("secret detail at /srv/models/private.keras")

    monkeypatch.setattr(keras_service.runtime, "embed", broken)
    with caplog.at_level(logging.ERROR, logger="keras_mm.serving"):
        r = client.post("/embed/text", json={"text": "never seen before"})
    assert r.status_code == 500
    body = r.json()
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["request_id"] in body["error"]
    logged = [rec for rec in caplog.records
              if body["request_id"] in rec.getMessage()]
    assert logged and "secret detail" in str(logged[0].exc_info[1])


def test_the_pixel_limit_is_checked_from_the_header(client):
    import base64

    bomb = png_declaring(10000, 10000)
    assert len(bomb) < 200
    start = time.perf_counter()
    r = client.post("/embed/image", json={
        "images": [base64.b64encode(bomb).decode()] * 30})
    assert r.status_code == 413, r.text
    assert "images[0]: the image declares 10000x10000 pixels" in (
        r.json()["error"])
    assert "the limit is 16 Mpx" in r.json()["error"]
    r = client.post("/embed/image", files=[("image", ("b.png", bomb,
                                                      "image/png"))])
    assert r.status_code == 413
    assert time.perf_counter() - start < 5  # Nothing was decoded.


def _raw(server, data, wait_s):
    """Sends raw bytes, then reads until the server closes (or wait_s)."""
    sock = socket.create_connection((server.host, server.port))
    sock.settimeout(wait_s)
    start = time.perf_counter()
    sock.sendall(data)
    received = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        received += b"<still open>"
    finally:
        sock.close()
    return received, time.perf_counter() - start


def test_a_short_body_gets_408_and_the_connection_closes(server):
    head = (b"POST /embed/text HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/json\r\nContent-Length: 100\r\n\r\n")
    received, seconds = _raw(server, head + b'{"texts": [', 10)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b"did not arrive within 1 s" in received
    assert seconds < 5


def test_partial_headers_or_silence_do_not_hold_a_connection(server):
    received, seconds = _raw(server, b"POST /embed/text HTTP/1.1\r\nHo", 10)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert seconds < 5
    received, seconds = _raw(server, b"", 10)
    assert b"<still open>" not in received and seconds < 5


def test_a_full_queue_answers_503(keras_service):
    service = EmbeddingService(keras_service.runtime,
                               keras_service.text_preprocessor,
                               max_queue=2, cache_size=0)
    try:
        with ServerThread(build_app(service)) as s:
            r = httpx.post(s.url + "/embed/text",
                           json={"texts": ["one", "two", "three"]})
            assert r.status_code == 503
            assert r.headers["retry-after"] == "1"
            assert "busy" in r.json()["error"]
            r = httpx.post(s.url + "/embed/text", json={"texts": ["one"]})
            assert r.status_code == 200
    finally:
        service.close()


def test_api_keys_and_the_rate_limit(keras_service):
    limits = ServingLimits(api_keys=("k-one", "k-two"),
                           rate_limit_per_s=0.01, rate_limit_burst=3)
    with ServerThread(build_app(keras_service, limits=limits)) as s:
        url = s.url + "/embed/text"
        body = {"text": "a red circle"}
        assert httpx.get(s.url + "/healthz").status_code == 200
        for headers in ({}, {"authorization": "Bearer wrong"},
                        {"authorization": "k-one"}):
            r = httpx.post(url, json=body, headers=headers)
            assert r.status_code == 401, headers
            assert r.headers["www-authenticate"] == "Bearer"
        # Refused requests took the burst's three tokens: the next is 429.
        r = httpx.post(url, json=body,
                       headers={"authorization": "Bearer k-two"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "too many requests" in r.json()["error"]


def test_keyed_requests_pass(keras_service):
    limits = ServingLimits(api_keys=("k-one",))
    with ServerThread(build_app(keras_service, limits=limits)) as s:
        r = httpx.post(s.url + "/embed/text", json={"text": "a red circle"},
                       headers={"authorization": "Bearer k-one"})
        assert r.status_code == 200
        assert httpx.get(s.url + "/openapi.json").status_code == 200


def test_openapi_describes_the_typed_bodies(client):
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/search"]["post"]["requestBody"]["content"]
    k = body["application/json"]["schema"]["properties"]["k"]
    assert (k["type"], k["minimum"], k["maximum"]) == ("integer", 1, 100)
    assert client.get("/docs").status_code == 200


def test_the_head_deadline_holds_on_h11_too(keras_service):
    from keras_mm.serving.header_timeout import H11HeaderTimeout

    limits = ServingLimits(read_timeout_s=1.0, idle_timeout_s=1.0)
    with ServerThread(build_app(keras_service, limits=limits),
                      http=H11HeaderTimeout) as s:
        received, seconds = _raw(s, b"GET /healthz HTTP/1.1\r\nHo", 10)
        assert received.startswith(b"HTTP/1.1 408") and seconds < 5
        assert httpx.get(s.url + "/healthz").status_code == 200
