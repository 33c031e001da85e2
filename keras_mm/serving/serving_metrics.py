"""Request counts and histograms, rendered as Prometheus text or JSON."""

import bisect
import threading

LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                     0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Histogram:
    """Cumulative-bucket histogram (Prometheus semantics)."""

    def __init__(self, buckets):
        self.buckets = tuple(buckets)
        self.counts = [0] * (len(self.buckets) + 1)  # Last: +Inf.
        self.total = 0.0
        self.count = 0

    def observe(self, value):
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def cumulative(self):
        running, out = 0, []
        # JSON has no infinity: the last bound is the string "+Inf".
        for bound, count in zip((*self.buckets, "+Inf"), self.counts):
            running += count
            out.append((bound, running))
        return out


class ServingMetrics:
    """What `/metrics` reports: requests, latencies, batches, cache.

    Example:
    ```python
    metrics = keras_mm.serving.serving_metrics.ServingMetrics()
    metrics.observe_request("/embed/text", 200, 0.004)
    metrics.observe_batch("text", 8)
    print(metrics.render_prometheus())
    ```
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = {}  # (path, status) -> count
        self.latency = {}  # path -> Histogram
        self.batch_sizes = {}  # modality -> Histogram
        self.cache = None  # An LRUCache, set by the service.

    def observe_request(self, path, status, seconds):
        with self._lock:
            key = (path, int(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            if path not in self.latency:
                self.latency[path] = Histogram(LATENCY_BUCKETS_S)
            self.latency[path].observe(seconds)

    def observe_batch(self, modality, size):
        with self._lock:
            if modality not in self.batch_sizes:
                self.batch_sizes[modality] = Histogram(BATCH_SIZE_BUCKETS)
            self.batch_sizes[modality].observe(size)

    def as_dict(self):
        with self._lock:
            return {
                "requests": [
                    {"path": p, "status": s, "count": c}
                    for (p, s), c in sorted(self.requests.items())
                ],
                "latency_seconds": {
                    p: {"count": h.count, "sum": h.total,
                        "buckets": [[b, c] for b, c in h.cumulative()]}
                    for p, h in self.latency.items()
                },
                "batch_size": {
                    m: {"count": h.count, "sum": h.total,
                        "buckets": [[b, c] for b, c in h.cumulative()]}
                    for m, h in self.batch_sizes.items()
                },
                "cache": (self.cache.stats() if self.cache is not None
                          else None),
            }

    def render_prometheus(self):
        data = self.as_dict()
        lines = ["# TYPE keras_mm_requests_total counter"]
        for r in data["requests"]:
            lines.append(f'keras_mm_requests_total{{path="{r["path"]}",'
                         f'status="{r["status"]}"}} {r["count"]}')
        for name, key, label in (
            ("keras_mm_request_latency_seconds", "latency_seconds", "path"),
            ("keras_mm_batch_size", "batch_size", "modality"),
        ):
            lines.append(f"# TYPE {name} histogram")
            for value, h in data[key].items():
                for bound, count in h["buckets"]:
                    le = bound if bound == "+Inf" else f"{bound:g}"
                    lines.append(f'{name}_bucket{{{label}="{value}",'
                                 f'le="{le}"}} {count}')
                lines.append(f'{name}_sum{{{label}="{value}"}} {h["sum"]:g}')
                lines.append(f'{name}_count{{{label}="{value}"}} '
                             f'{h["count"]}')
        cache = data["cache"] or {"hits": 0, "misses": 0, "size": 0}
        for name in ("hits", "misses"):
            lines.append(f"# TYPE keras_mm_cache_{name}_total counter")
            lines.append(f"keras_mm_cache_{name}_total {cache[name]}")
        lines.append("# TYPE keras_mm_cache_entries gauge")
        lines.append(f"keras_mm_cache_entries {cache['size']}")
        return "\n".join(lines) + "\n"
