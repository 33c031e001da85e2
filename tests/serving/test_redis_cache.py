"""The shared cache: a real `redis-server` on loopback, two app instances
(two workers) sharing it, and the service answering while it is gone."""

import logging
import shutil
import time

import httpx
import numpy as np
import pytest

pytest.importorskip("redis", reason="the redis extra is not installed")
if shutil.which("redis-server") is None:
    pytest.skip("redis-server is not installed (scripts/test.sh installs "
                "it with apt-get when run as root)", allow_module_level=True)

from keras_mm.serving.app import build_app  # noqa: E402
from keras_mm.serving.embedding_service import EmbeddingService  # noqa: E402
from keras_mm.serving.redis_cache import RedisCache  # noqa: E402
from keras_mm.serving.redis_server import RedisServer  # noqa: E402
from keras_mm.serving.server import ServerThread  # noqa: E402


@pytest.fixture
def redis_server():
    server = RedisServer(timeout_s=10).start()
    yield server
    server.stop()


def _worker(keras_service, url, namespace="model-a"):
    """One worker: its own service (batcher, metrics, cache client) on the
    shared runtime, served by its own uvicorn."""
    service = EmbeddingService(
        keras_service.runtime, keras_service.text_preprocessor,
        max_wait_ms=1.0, cache_url=url, cache_namespace=namespace)
    service.cache.retry_s = 0.2
    return service, ServerThread(build_app(service)).start()


def _embed(server, text):
    response = httpx.post(server.url + "/embed/text", json={"text": text},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_vectors_round_trip_with_a_ttl_and_a_namespace(redis_server):
    cache = RedisCache(redis_server.url, "ns-a", ttl_s=0.3)
    other_model = RedisCache(redis_server.url, "ns-b", ttl_s=60)
    vector = np.arange(4, dtype="float32") / 3
    cache.put(("text", "a cat"), vector)
    np.testing.assert_array_equal(cache.get(("text", "a cat")), vector)
    assert cache.get(("image", "a cat")) is None  # The modality counts.
    assert other_model.get(("text", "a cat")) is None  # So does the model.
    time.sleep(0.5)
    assert cache.get(("text", "a cat")) is None  # Expired.
    assert (cache.hits, cache.misses) == (1, 2)


def test_two_workers_share_hits_and_survive_redis_going_away(
        keras_service, redis_server, caplog):
    (service_a, worker_a), (service_b, worker_b) = (
        _worker(keras_service, redis_server.url) for _ in range(2))
    service_c, other_model = _worker(keras_service, redis_server.url,
                                     "model-b")
    try:
        first = _embed(worker_a, "a red circle")
        assert first.headers["x-cache"] == "miss"
        # Cached by worker A, a hit on worker B.
        second = _embed(worker_b, "a red circle")
        assert second.headers["x-cache"] == "hit"
        np.testing.assert_allclose(second.json()["embeddings"],
                                   first.json()["embeddings"], atol=1e-6)
        stats = httpx.get(worker_b.url + "/metrics?format=json").json()
        assert stats["cache"]["hits"] == 1
        assert service_b.cache.stats()["backend"] == "redis"
        assert _embed(other_model, "a red circle").headers["x-cache"] == (
            "miss")

        redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="keras_mm.serving"):
            for text in ("a red circle", "a blue square", "a red circle"):
                for worker in (worker_a, worker_b):
                    response = _embed(worker, text)  # 200, never a 500.
                    assert response.headers["x-cache"] == "miss"
            np.testing.assert_allclose(
                _embed(worker_b, "a red circle").json()["embeddings"],
                first.json()["embeddings"], atol=1e-5)
        down = [r for r in caplog.records if "unreachable" in r.message]
        assert len(down) == 2  # One line per worker, not per request.
        assert service_b.cache.stats()["connected"] is False

        # Back on the same port (empty): the workers reconnect.
        redis_server.start()
        time.sleep(0.3)  # Past the workers' retry interval.
        with caplog.at_level(logging.WARNING, logger="keras_mm.serving"):
            _embed(worker_a, "a green star")
            assert _embed(worker_b, "a green star").headers["x-cache"] == (
                "hit")
        assert any("is back" in r.message for r in caplog.records)
    finally:
        for worker in (worker_a, worker_b, other_model):
            worker.stop()
        for service in (service_a, service_b, service_c):
            service.close()


@pytest.mark.large
def test_serve_workers_share_one_redis_cache(serve_model_dir, redis_server):
    from serve_process import ServeProcess

    def ready(output):
        return output.count(b"Application startup complete") >= 2

    with ServeProcess(["--model", serve_model_dir, "--workers", "2",
                       "--cache", redis_server.url], ready) as server:
        # One connection is served by one worker: /healthz on it names
        # the worker that answered the embedding.
        answers = []
        for _ in range(60):
            with httpx.Client(base_url=server.url, timeout=60) as client:
                r = client.post("/embed/text", json={"text": "a circle"})
                assert r.status_code == 200, r.text
                pid = client.get("/healthz").json()["worker_pid"]
            answers.append((pid, r.headers["x-cache"]))
            if len({p for p, _ in answers}) == 2:
                break
    (first, cache), *repeats = answers
    assert cache == "miss"
    assert all(cache == "hit" for _, cache in repeats)
    # The query worker A computed is a hit on worker B.
    assert any(pid != first for pid, _ in repeats), answers
