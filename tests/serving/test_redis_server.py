"""The throwaway Redis server, and what names a model in shared keys."""

import os
import shutil

import pytest

from keras_mm.serving.server import cache_namespace


def test_cache_namespace_changes_with_what_changes_an_embedding(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    base = cache_namespace("run/model.keras@1.0", "keras", str(vocab))
    assert base == cache_namespace("run/model.keras@1.0", "keras",
                                   str(vocab))
    assert len(base) == 16
    others = {
        cache_namespace("run/model.keras@2.0", "keras", str(vocab)),
        cache_namespace("run/model.keras@1.0", "litert", str(vocab)),
        cache_namespace("run/model.keras@1.0", "keras"),
    }
    os.utime(vocab, (5, 5))  # The vocabulary file changed.
    others.add(cache_namespace("run/model.keras@1.0", "keras", str(vocab)))
    assert base not in others and len(others) == 4


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="redis-server is not installed")
def test_redis_server_starts_on_a_free_port_and_stops():
    redis = pytest.importorskip("redis")
    from keras_mm.serving.redis_server import RedisServer

    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        assert client.config_get("save")["save"] == ""
        assert client.config_get("maxmemory-policy")[
            "maxmemory-policy"] == "allkeys-lru"
        client.close()
    assert server.process.poll() is not None
