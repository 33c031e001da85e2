import sys

import pytest

from bench_runner import BENCHMARKS
from bench_runner import read_results
from bench_runner import run_benchmark


@pytest.mark.large
def test_tiny_step_memory_per_mode(tmp_path, backend):
    run_benchmark("memory.py", ["--tiny", "--backends", backend], tmp_path)
    result = read_results(tmp_path, "memory_tiny")["vit_b32"]
    runs = result["runs"][backend]
    assert set(runs) == {"plain", "remat", "accumulation"}
    for run in runs.values():
        assert run["step_peak_bytes"] >= run["baseline_bytes"] > 0
        assert run["peak_rss_bytes"] > 0
    assert result["remat_ratio"][backend] >= 0
    assert result["accumulation_ratio"][backend] >= 0
    assert result["config"]["accumulation_steps"] == 4


def test_a_run_on_one_backend_keeps_the_others_figures():
    sys.path.insert(0, BENCHMARKS)
    import memory

    def section(backends, batch=32):
        return {"config": {"batch": batch},
                "runs": {b: {"plain": b} for b in backends},
                "errors": {}, "remat_ratio": {b: 0.5 for b in backends},
                "load_average": {b: {"start": [1.0]} for b in backends}}

    old = section(["jax", "torch"])
    old["errors"] = {"tensorflow": "stopped"}
    new = section(["tensorflow"])
    new["remat_ratio"]["tensorflow"] = 0.3
    merged = memory.merged_backends(old, new)
    assert set(merged["runs"]) == {"jax", "torch", "tensorflow"}
    assert merged["remat_ratio"] == {"jax": 0.5, "torch": 0.5,
                                     "tensorflow": 0.3}
    assert merged["errors"] == {}  # measured now: the old error is gone
    # Another batch: the old figures are not comparable, so they go.
    assert set(memory.merged_backends(old, section(["tensorflow"], 16))[
        "runs"]) == {"tensorflow"}
