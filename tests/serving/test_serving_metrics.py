import os
import subprocess
import sys
import textwrap

from keras_mm.serving.lru_cache import LRUCache
from keras_mm.serving.serving_metrics import ServingMetrics


def test_prometheus_text_has_counts_histograms_and_cache():
    metrics = ServingMetrics()
    metrics.cache = LRUCache(4)
    metrics.cache.get("missing")
    for seconds in (0.0007, 0.003, 0.003):
        metrics.observe_request("/embed/text", 200, seconds)
    metrics.observe_request("/embed/text", 422, 0.001)
    metrics.observe_batch("text", 3)
    metrics.observe_batch("text", 32)
    text = metrics.render_prometheus()
    assert 'keras_mm_requests_total{path="/embed/text",status="200"} 3' in text
    assert 'keras_mm_requests_total{path="/embed/text",status="422"} 1' in text
    # Cumulative buckets: 1 request <= 1 ms (plus the 422), all 4 <= 5 ms.
    assert ('keras_mm_request_latency_seconds_bucket{le="0.001",'
            'path="/embed/text"} 2.0') in text
    assert ('keras_mm_request_latency_seconds_bucket{le="0.005",'
            'path="/embed/text"} 4.0') in text
    assert 'keras_mm_batch_size_bucket{le="4.0",modality="text"} 1.0' in text
    assert 'keras_mm_batch_size_count{modality="text"} 2.0' in text
    assert "keras_mm_cache_misses_total 1.0" in text
    data = metrics.as_dict()
    assert data["batch_size"]["text"]["sum"] == 35
    assert data["batch_size"]["text"]["buckets"][2] == [4.0, 1]
    assert data["batch_size"]["text"]["buckets"][-1] == ["+Inf", 2]
    assert data["requests"] == [
        {"path": "/embed/text", "status": 200, "count": 3},
        {"path": "/embed/text", "status": 422, "count": 1}]
    assert data["cache"] == {"hits": 0, "misses": 1, "size": 0}


def test_two_services_in_one_process_count_apart():
    first, second = ServingMetrics(), ServingMetrics()
    first.observe_request("/healthz", 200, 0.001)
    assert second.as_dict()["requests"] == []
    assert first.as_dict()["requests"][0]["count"] == 1


def test_workers_are_summed_through_the_multiprocess_folder(tmp_path):
    # Each "worker" is a process of its own, as under `--workers`; the
    # folder is set before prometheus_client is first imported.
    worker = textwrap.dedent("""
        import sys
        from keras_mm.serving.lru_cache import LRUCache
        from keras_mm.serving.serving_metrics import ServingMetrics
        metrics = ServingMetrics()
        assert metrics.multiprocess
        metrics.cache = LRUCache(8)
        metrics.cache.put("a", 1)
        metrics.cache.get("a")
        for _ in range(int(sys.argv[1])):
            metrics.observe_request("/search", 200, 0.002)
        metrics.observe_batch("text", 4)
        print(metrics.render_prometheus() if sys.argv[2] == "show" else "")
    """)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(
               [os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", worker, "2", "quiet"], env=env,
                   check=True)
    text = subprocess.run([sys.executable, "-c", worker, "3", "show"],
                          env=env, check=True, capture_output=True,
                          text=True).stdout
    assert 'keras_mm_requests_total{path="/search",status="200"} 5.0' in text
    assert 'keras_mm_batch_size_count{modality="text"} 2.0' in text
    assert "keras_mm_cache_hits_total 2.0" in text
