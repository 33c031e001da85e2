import pytest

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
