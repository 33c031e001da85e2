import os
import subprocess
import sys

import pytest

from bench_runner import BENCHMARKS
from bench_runner import ROOT
from bench_runner import read_results
from bench_runner import run_benchmark


@pytest.mark.large
def test_tiny_run_writes_every_figure(tmp_path):
    run_benchmark("data_pipeline.py", ["--tiny", "--max-load", "1000"],
                  tmp_path)
    result = read_results(tmp_path, "data_pipeline_tiny")
    for key in ("pipeline_samples_per_s", "cached_pipeline_samples_per_s",
                "training_samples_per_s", "streamed_pipeline_samples_per_s"):
        assert result[key] > 0
    assert set(result["fit_samples_per_s"]) == {"files", "cached_files",
                                                "memory"}
    assert result["ratio"] == pytest.approx(
        result["pipeline_samples_per_s"] / result["training_samples_per_s"])
    assert 0 < result["fit_cached_files_over_memory"]
    assert result["load_average_1min"] >= 0


def test_a_busy_machine_gets_no_results_file(tmp_path):
    # --max-load -1: every load average is too high; nothing is written.
    env = dict(os.environ, PYTHONPATH=ROOT,
               KERAS_MM_BENCH_RESULTS=str(tmp_path))
    out = subprocess.run(
        [sys.executable, f"{BENCHMARKS}/data_pipeline.py", "--tiny",
         "--max-load", "-1"],
        capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "load average" in out.stderr and "--max-load" in out.stderr
    assert not list(tmp_path.iterdir())
