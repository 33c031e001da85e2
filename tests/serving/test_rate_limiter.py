import pytest

from keras_mm.serving.rate_limiter import RateLimiter


def test_token_bucket_per_client():
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0.0] * 3
    assert limiter.acquire("a") == pytest.approx(0.5)  # Empty: wait.
    assert limiter.acquire("b") == 0.0  # Another client, its own bucket.
    now[0] += 0.5  # One token back.
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0


def test_the_client_table_is_bounded():
    limiter = RateLimiter(rate=1, max_clients=10)
    for i in range(100):
        limiter.acquire(f"10.0.0.{i}")
    assert len(limiter._buckets) == 10
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=0)
