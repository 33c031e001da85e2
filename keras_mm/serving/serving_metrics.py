"""Request counts and histograms on `prometheus_client`, as text or JSON.

One process: the metrics live in the service's own registry. Several
`--workers`: `serve_workers` sets `PROMETHEUS_MULTIPROC_DIR` before the
workers start, each worker writes its values there, and whichever worker
answers `/metrics` reports the sum over all of them.
"""

import os
import threading

import prometheus_client
from prometheus_client import multiprocess
from prometheus_client import values

LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                     0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The media type of `render_prometheus`'s text.
METRICS_CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST


def multiprocess_mode():
    """Whether values go to `$PROMETHEUS_MULTIPROC_DIR` (prometheus_client
    decides once, when it is first imported)."""
    return values.ValueClass is not values.MutexValue


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
        self.multiprocess = multiprocess_mode()
        # Several services may share a process (tests): each has its own
        # registry. With workers, values go to files and nothing is
        # registered; `registry()` collects the files.
        self._registry = (None if self.multiprocess
                          else prometheus_client.CollectorRegistry())
        registry = self._registry
        self.requests = prometheus_client.Counter(
            "keras_mm_requests", "HTTP requests by path and status",
            ("path", "status"), registry=registry)
        self.latency = prometheus_client.Histogram(
            "keras_mm_request_latency_seconds",
            "Time from a request's arrival to its answer", ("path",),
            buckets=LATENCY_BUCKETS_S, registry=registry)
        self.batch_sizes = prometheus_client.Histogram(
            "keras_mm_batch_size", "Items in each model call",
            ("modality",), buckets=BATCH_SIZE_BUCKETS, registry=registry)
        self.cache_hits = prometheus_client.Counter(
            "keras_mm_cache_hits", "Embedding cache hits",
            registry=registry)
        self.cache_misses = prometheus_client.Counter(
            "keras_mm_cache_misses", "Embedding cache misses",
            registry=registry)
        self.cache_entries = prometheus_client.Gauge(
            "keras_mm_cache_entries", "Entries in the embedding cache",
            registry=registry, multiprocess_mode="livesum")
        self.cache = None  # Set by the service; it counts its own hits.
        self._cache_seen = {"hits": 0, "misses": 0}
        self._cache_lock = threading.Lock()

    def observe_request(self, path, status, seconds):
        self.requests.labels(path, str(int(status))).inc()
        self.latency.labels(path).observe(seconds)
        if self.multiprocess:
            # The answering worker reads the others' cache figures from
            # their files: each writes them after every request.
            self.sync_cache()

    def observe_batch(self, modality, size):
        self.batch_sizes.labels(modality).observe(size)

    def sync_cache(self):
        """Copies the cache's own counts into the metrics (one process:
        when they are read)."""
        stats = self.cache.stats() if self.cache is not None else {}
        with self._cache_lock:
            for name, counter in (("hits", self.cache_hits),
                                  ("misses", self.cache_misses)):
                total = stats.get(name, 0)
                if total > self._cache_seen[name]:
                    counter.inc(total - self._cache_seen[name])
                self._cache_seen[name] = total
            self.cache_entries.set(stats.get("size", 0))

    def registry(self):
        """The registry to collect: this service's, or every worker's."""
        if not self.multiprocess:
            return self._registry
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(
            registry, path=os.environ[MULTIPROC_ENV])
        return registry

    def render_prometheus(self):
        self.sync_cache()
        return prometheus_client.generate_latest(self.registry()).decode()

    def as_dict(self):
        """The same figures as JSON (histogram buckets cumulative, the
        last bound the string "+Inf")."""
        self.sync_cache()
        data = {"requests": [], "latency_seconds": {}, "batch_size": {},
                "cache": {"hits": 0, "misses": 0, "size": 0}}
        histograms = {"keras_mm_request_latency_seconds":
                      (data["latency_seconds"], "path"),
                      "keras_mm_batch_size": (data["batch_size"],
                                              "modality")}
        cache = {"keras_mm_cache_hits_total": "hits",
                 "keras_mm_cache_misses_total": "misses",
                 "keras_mm_cache_entries": "size"}
        for family in self.registry().collect():
            for sample in family.samples:
                name, labels, value = sample.name, sample.labels, sample.value
                if name == "keras_mm_requests_total":
                    data["requests"].append({"path": labels["path"],
                                             "status": int(labels["status"]),
                                             "count": int(value)})
                elif name in cache:
                    data["cache"][cache[name]] = int(value)
                elif family.name in histograms:
                    table, label = histograms[family.name]
                    entry = table.setdefault(labels[label], {
                        "count": 0, "sum": 0.0, "buckets": []})
                    suffix = name[len(family.name):]
                    if suffix == "_bucket":
                        bound = labels["le"]
                        entry["buckets"].append(
                            [bound if bound == "+Inf" else float(bound),
                             int(value)])
                    elif suffix in ("_count", "_sum"):
                        entry[suffix[1:]] = (int(value) if suffix == "_count"
                                             else value)
        data["requests"].sort(key=lambda r: (r["path"], r["status"]))
        for table in (data["latency_seconds"], data["batch_size"]):
            for entry in table.values():
                entry["buckets"].sort(key=lambda b: float(b[0]))
        return data
