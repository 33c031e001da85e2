import pytest

from keras_mm.serving.lru_cache import LRUCache


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_evicts_least_recently_used_and_counts():
    cache = LRUCache(max_size=2, ttl_s=None)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent.
    cache.put("c", 3)  # Evicts "b".
    assert cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3
    assert (cache.hits, cache.misses, cache.evictions) == (3, 1, 1)
    assert len(cache) == 2


def test_entries_expire_after_ttl():
    clock = FakeClock()
    cache = LRUCache(max_size=8, ttl_s=10.0, clock=clock)
    cache.put("k", "v")
    clock.now = 9.9
    assert cache.get("k") == "v"
    clock.now = 10.1
    assert cache.get("k") is None
    assert len(cache) == 0
    assert cache.stats()["misses"] == 1


def test_size_zero_disables_and_bad_arguments_raise():
    cache = LRUCache(max_size=0)
    cache.put("a", 1)
    assert cache.get("a") is None
    with pytest.raises(ValueError, match="max_size"):
        LRUCache(max_size=-1)
    with pytest.raises(ValueError, match="ttl_s"):
        LRUCache(ttl_s=0)
