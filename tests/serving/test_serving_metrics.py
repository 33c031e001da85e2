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
    assert ('keras_mm_request_latency_seconds_bucket{path="/embed/text",'
            'le="0.001"} 2') in text
    assert ('keras_mm_request_latency_seconds_bucket{path="/embed/text",'
            'le="0.005"} 4') in text
    assert 'keras_mm_batch_size_bucket{modality="text",le="4"} 1' in text
    assert 'keras_mm_batch_size_count{modality="text"} 2' in text
    assert "keras_mm_cache_misses_total 1" in text
    data = metrics.as_dict()
    assert data["batch_size"]["text"]["sum"] == 35
    assert data["cache"]["misses"] == 1
