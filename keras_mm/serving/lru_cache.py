"""The in-process cache: cachetools' LRU (with a time-to-live) behind a
lock, with hit/miss/eviction counters."""

import threading
import time

import cachetools


class _CountingTTLCache(cachetools.TTLCache):
    """A `TTLCache` that counts what it evicts to make room (expired
    entries are not evictions)."""

    evictions = 0

    def popitem(self):
        item = super().popitem()
        self.evictions += 1
        return item


class _CountingLRUCache(cachetools.LRUCache):
    evictions = 0

    def popitem(self):
        item = super().popitem()
        self.evictions += 1
        return item


class LRUCache:
    """Least-recently-used cache; entries also expire after `ttl_s` seconds.

    cachetools keeps the entries; this class adds the lock (the event loop
    and the model thread both use it) and the counters `/metrics` shows.

    Args:
        max_size: int. Most entries kept; 0 disables the cache.
        ttl_s: float or None. Seconds an entry stays valid; None: forever.
        clock: callable returning seconds (monotonic); for tests.

    Example:
    ```python
    cache = keras_mm.serving.lru_cache.LRUCache(max_size=2, ttl_s=60)
    cache.put("a", 1)
    cache.get("a")  # 1, counted as a hit
    cache.get("b")  # None, counted as a miss
    ```
    """

    backend = "memory"

    def __init__(self, max_size=4096, ttl_s=600.0, clock=time.monotonic):
        if max_size < 0:
            raise ValueError(f"max_size must be >= 0. Received: {max_size}")
        if ttl_s is not None and ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0 or None. Received: {ttl_s}")
        self.max_size = max_size
        self.ttl_s = ttl_s
        self.clock = clock
        self.hits = 0
        self.misses = 0
        # cachetools refuses a maxsize of 0; a disabled cache stores nothing.
        size = max(max_size, 1)
        self._entries = (_CountingLRUCache(size) if ttl_s is None
                         else _CountingTTLCache(size, ttl_s, timer=clock))
        self._lock = threading.Lock()

    @property
    def enabled(self):
        return self.max_size > 0

    @property
    def evictions(self):
        return self._entries.evictions

    def __len__(self):
        with self._lock:
            if self.ttl_s is not None:
                self._entries.expire()
            return len(self._entries)

    def get(self, key, count=True):
        """The value for `key`, or None (a miss) if absent or expired.

        `count=False` leaves the hit/miss counters alone (a caller that
        looks up several keys first and records the outcome itself, see
        `record_hits`).
        """
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self.hits += count
            else:
                self.misses += count
            return value

    def record_hits(self, count):
        """Counts `count` hits found with `get(key, count=False)`."""
        with self._lock:
            self.hits += count

    def put(self, key, value):
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = value

    def clear(self):
        with self._lock:
            self._entries.clear()

    def stats(self):
        return {"backend": self.backend, "size": len(self),
                "max_size": self.max_size, "ttl_s": self.ttl_s,
                "hits": self.hits, "misses": self.misses,
                "evictions": self.evictions}
