"""Runs a benchmark script in a subprocess, its results in a test folder."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BENCHMARKS = os.path.join(ROOT, "benchmarks")


def run_benchmark(script, args, results_dir, timeout=900):
    """Runs `benchmarks/<script> <args>`; returns its stdout."""
    env = dict(os.environ, PYTHONPATH=ROOT,
               KERAS_MM_BENCH_RESULTS=str(results_dir))
    out = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, script), *args],
        capture_output=True, text=True, env=env, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def read_results(results_dir, name):
    with open(os.path.join(str(results_dir), f"{name}.json")) as f:
        return json.load(f)
