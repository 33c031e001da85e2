"""A bounded LRU cache with a time-to-live and hit/miss counters."""

import collections
import threading
import time


class LRUCache:
    """Least-recently-used cache; entries also expire after `ttl_s` seconds.

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
        self.evictions = 0
        self._entries = collections.OrderedDict()  # key -> (expiry, value)
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def get(self, key, count=True):
        """The value for `key`, or None (a miss) if absent or expired.

        `count=False` leaves the hit/miss counters alone (a caller that
        looks up several keys first and records the outcome itself, see
        `record_hits`).
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (
                entry[0] is None or entry[0] > self.clock()
            ):
                self._entries.move_to_end(key)
                self.hits += count
                return entry[1]
            if entry is not None:
                del self._entries[key]  # Expired.
            self.misses += count
            return None

    def record_hits(self, count):
        """Counts `count` hits found with `get(key, count=False)`."""
        with self._lock:
            self.hits += count

    def put(self, key, value):
        if self.max_size == 0:
            return
        expiry = None if self.ttl_s is None else self.clock() + self.ttl_s
        with self._lock:
            self._entries[key] = (expiry, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
                self.evictions += 1

    def clear(self):
        with self._lock:
            self._entries.clear()

    def stats(self):
        return {"size": len(self._entries), "max_size": self.max_size,
                "ttl_s": self.ttl_s, "hits": self.hits,
                "misses": self.misses, "evictions": self.evictions}
