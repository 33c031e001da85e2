"""A cache shared by every worker and replica: entries in a Redis server.

The service looks entries up the way it looks up the in-process
`LRUCache` (`get`, `put`, `record_hits`, `stats`). Redis is an
optimisation, never a dependency of an answer: while it cannot be
reached every lookup is a miss and every store is skipped, one warning
line says so, and the next lookup after `retry_s` tries again.
"""

import hashlib
import logging
import threading
import time

import numpy as np

logger = logging.getLogger("keras_mm.serving")

KEY_PREFIX = "keras_mm"


def encode_vector(vector):
    """A 1-D array → bytes: its dtype, a `|`, its raw values."""
    vector = np.ascontiguousarray(vector)
    return vector.dtype.str.encode() + b"|" + vector.tobytes()


def decode_vector(data):
    dtype, _, raw = data.partition(b"|")
    return np.frombuffer(raw, dtype=np.dtype(dtype.decode())).copy()


class RedisCache:
    """Cache entries in Redis under `keras_mm:<namespace>:<hash of key>`,
    each with a time-to-live.

    The size cap is Redis' own: run it with `--maxmemory` and an
    evicting policy (`allkeys-lru`); a server without a `maxmemory` is
    reported once, in a warning.

    Args:
        url: str. `redis://HOST:PORT[/DB]`.
        namespace: str. Tells models apart: two services share entries
            only when it is equal (see `server.cache_namespace`).
        ttl_s: float. Seconds an entry lives.
        encode, decode: value → bytes and back (default: 1-D arrays).
        timeout_s: float. Connect and reply timeout of each call.
        retry_s: float. After a failure, seconds before Redis is tried
            again (meanwhile: misses, no waiting).
        client: a `redis.Redis`-like client instead of `url` (tests).

    Example:
    ```python
    cache = RedisCache("redis://127.0.0.1:6379", namespace="clip-a1b2")
    cache.put(("text", "a cat"), np.ones(4, "float32"))
    cache.get(("text", "a cat"))  # the vector, from any process
    ```
    """

    backend = "redis"
    enabled = True
    evictions = 0  # Redis evicts; its `INFO stats` counts them.

    def __init__(self, url, namespace, ttl_s=600.0, encode=encode_vector,
                 decode=decode_vector, timeout_s=0.25, retry_s=5.0,
                 client=None, clock=time.monotonic):
        if ttl_s is None or not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0. Received: {ttl_s}")
        if client is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries: a miss now beats an answer held up by a
            # reconnecting client.
            client = redis.Redis.from_url(
                url, socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                retry=Retry(NoBackoff(), 0))
        self.url = url
        self.namespace = namespace
        self.ttl_s = ttl_s
        self.max_size = None  # Redis' maxmemory bounds it.
        self.encode, self.decode = encode, decode
        self.retry_s = retry_s
        self.clock = clock
        self.client = client
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self._down_until = None  # While set: Redis failed; skip until then.
        self._checked_memory = False
        self._size, self._size_at = 0, None
        self._lock = threading.Lock()

    @property
    def connected(self):
        return self._down_until is None

    def _key(self, key):
        digest = hashlib.sha256("\0".join(map(str, key)).encode())
        return f"{KEY_PREFIX}:{self.namespace}:{digest.hexdigest()[:32]}"

    def _call(self, method, *args, **kwargs):
        """`client.method(...)`, or None while Redis is unreachable."""
        down_until = self._down_until
        if down_until is not None and self.clock() < down_until:
            return None
        import redis

        try:
            result = getattr(self.client, method)(*args, **kwargs)
        except (redis.RedisError, OSError) as error:
            with self._lock:
                self.errors += 1
                if self._down_until is None:
                    logger.warning(
                        "cache: Redis at %s unreachable (%s); answering "
                        "from the model, retrying every %gs", self.url,
                        type(error).__name__, self.retry_s)
                self._down_until = self.clock() + self.retry_s
            return None
        if down_until is not None:
            with self._lock:
                if self._down_until is not None:
                    logger.warning("cache: Redis at %s is back", self.url)
                self._down_until = None
        if not self._checked_memory:
            self._check_memory()
        return result

    def _check_memory(self):
        self._checked_memory = True
        try:
            maxmemory = int(self.client.config_get("maxmemory")
                            .get("maxmemory", 0))
        except Exception:  # CONFIG may be disabled (managed Redis).
            return
        if maxmemory == 0:
            logger.warning(
                "cache: Redis at %s has no maxmemory: cached entries only "
                "expire (start it with --maxmemory 256mb "
                "--maxmemory-policy allkeys-lru)", self.url)

    def get(self, key, count=True):
        """The value for `key`, or None (a miss: absent, expired, or Redis
        unreachable)."""
        data = self._call("get", self._key(key))
        value = None if data is None else self.decode(data)
        with self._lock:
            if value is not None:
                self.hits += count
            else:
                self.misses += count
        return value

    def record_hits(self, count):
        with self._lock:
            self.hits += count

    def put(self, key, value):
        self._call("set", self._key(key), self.encode(value),
                   px=int(self.ttl_s * 1000))

    def clear(self):
        """Drops this namespace's entries (other models' stay)."""
        keys = self._call("keys", f"{KEY_PREFIX}:{self.namespace}:*")
        if keys:
            self._call("delete", *keys)

    def __len__(self):
        """Entries in the whole Redis database (0 while unreachable),
        asked at most once a second: `/metrics` reads it per request."""
        now = self.clock()
        if self._size_at is None or now - self._size_at >= 1.0:
            self._size, self._size_at = self._call("dbsize") or 0, now
        return self._size

    def stats(self):
        return {"backend": self.backend, "size": len(self),
                "max_size": self.max_size, "ttl_s": self.ttl_s,
                "hits": self.hits, "misses": self.misses,
                "evictions": self.evictions, "errors": self.errors,
                "connected": self.connected}
