"""The limits of the HTTP front: body size, time, rate, keys."""

import dataclasses

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """What one client may ask of the server (the service holds the
    per-item limits: `max_items`, `max_text_chars`, `max_pixels`,
    `max_queue`).

    Args:
        max_body_bytes: int. Larger bodies get 413.
        max_k: int. Largest `k` of `/search`.
        read_timeout_s: float. Time a client has to send a request's
            headers, and then its whole body (408 and the connection
            closed after it).
        idle_timeout_s: float. How long an idle keep-alive connection
            stays open.
        rate_limit_per_s: float. Requests per second per client address
            (a token bucket); 0 turns the limit off.
        rate_limit_burst: int. Requests a client may send at once before
            the rate applies; 0: twice the rate, at least 1.
        api_keys: tuple of str. If any, every endpoint except `/healthz`
            and the docs wants `Authorization: Bearer <key>`.

    Example:
    ```python
    limits = ServingLimits(rate_limit_per_s=20, api_keys=("s3cret",))
    app = build_app(service, limits=limits)
    ```
    """

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_k: int = 100
    read_timeout_s: float = 10.0
    idle_timeout_s: float = 5.0
    rate_limit_per_s: float = 0.0
    rate_limit_burst: int = 0
    api_keys: tuple = ()

    def __post_init__(self):
        for name in ("max_body_bytes", "max_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1. Received: "
                                 f"{getattr(self, name)}")
        for name in ("read_timeout_s", "idle_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0. Received: "
                                 f"{getattr(self, name)}")
        if self.rate_limit_per_s < 0 or self.rate_limit_burst < 0:
            raise ValueError("rate_limit_per_s and rate_limit_burst must be "
                             ">= 0")


def read_api_keys(path):
    """The keys in `path`: one per line; blank lines and `#` comments are
    ignored. An empty file is an error (it would lock every client out).

    Example:
    ```python
    keys = read_api_keys("keys.txt")  # ("s3cret",)
    ```
    """
    with open(path, encoding="utf-8") as f:
        keys = tuple(line.strip() for line in f
                     if line.strip() and not line.lstrip().startswith("#"))
    if not keys:
        raise ValueError(f"{path}: no API key in the file (one per line)")
    return keys
