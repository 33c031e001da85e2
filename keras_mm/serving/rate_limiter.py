"""A token bucket per client address."""

import collections
import math
import time


class RateLimiter:
    """Allows `rate` requests per second per client, bursts of `burst`.

    The table of clients is bounded (`max_clients`, least recently seen
    evicted), so a flood of addresses cannot grow it without end.

    Example:
    ```python
    limiter = RateLimiter(rate=10, burst=20)
    wait_s = limiter.acquire("10.0.0.7")  # 0.0: allowed; else seconds
    ```
    """

    def __init__(self, rate, burst=0, max_clients=100_000,
                 clock=time.monotonic):
        if rate <= 0:
            raise ValueError(f"rate must be > 0. Received: {rate}")
        self.rate = float(rate)
        self.burst = float(burst or max(1, math.ceil(2 * rate)))
        self.max_clients = max_clients
        self.clock = clock
        self._buckets = collections.OrderedDict()  # client → (tokens, t)

    def acquire(self, client):
        """Takes a token: 0.0 if allowed, else the seconds to wait."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait
