"""A throwaway `redis-server` on loopback (tests, benchmarks, demos)."""

import shutil
import subprocess
import time

from keras_mm.serving.server import free_port


class RedisServer:
    """Runs Debian's `redis-server` on 127.0.0.1: nothing saved to disk,
    bounded memory with LRU eviction, stopped on exit.

    Args:
        port: int. Default: a free port.
        maxmemory: str. Redis' memory cap (entries beyond it are evicted,
            least recently used first).
        timeout_s: float. How long to wait for it to answer.

    Example:
    ```python
    with RedisServer() as redis_server:
        service = load_service("run/", cache_url=redis_server.url)
    ```
    """

    def __init__(self, port=None, maxmemory="64mb", timeout_s=10.0):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError(
                "redis-server is not installed (Debian: apt-get install "
                "redis-server)")
        self.port = port or free_port()
        self.maxmemory = maxmemory
        self.timeout_s = timeout_s
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no",
             "--maxmemory", self.maxmemory,
             "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port, socket_timeout=0.5,
                             socket_connect_timeout=0.5)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if (self.process.poll() is not None
                        or time.monotonic() > deadline):
                    self.stop()
                    raise RuntimeError(
                        f"redis-server did not start on {self.url}") from None
                time.sleep(0.05)
        client.close()
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
