import os

import pytest

from bench_runner import read_results
from bench_runner import run_benchmark


@pytest.mark.large
def test_tiny_vit_tower_against_onnxruntime(tmp_path, backend):
    run_benchmark("inference_latency.py", ["--tiny", "--backends", backend],
                  tmp_path)
    result = read_results(tmp_path, "inference_latency_tiny")
    latency = result["vit_b32"]["latency_ms"]
    assert set(latency) == {backend, "onnxruntime"}
    for contender in latency.values():
        assert contender["b1"] > 0 and contender["b32"] > 0
    assert result["vit_b32"]["best"]["batch_32"] in latency
    assert len(result["load_average"]["start"]) == 3
    assert os.cpu_count() == result["machine"]["cores"]
