"""benchmarks/index_scale.py --tiny: FAISS against exact NumPy search."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("faiss")

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks",
                      "index_scale.py")


def test_tiny_run_writes_recall_and_latency_ratio(tmp_path):
    out = tmp_path / "index_scale.json"
    subprocess.run([sys.executable, SCRIPT, "--tiny", "--queries", "50",
                    "--out", str(out)], check=True, timeout=300,
                    capture_output=True)
    figures = json.loads(out.read_text())
    assert figures["count"] == 30_000
    assert figures["index_spec"].startswith("IVF")
    assert figures["recall_at_10"] >= 0.95
    # Timing on a shared machine: only that FAISS is the faster one.
    assert figures["latency_ratio_p50"] < 1
    assert {"build_s", "index_bytes", "machine", "shards",
            "k_factor"} <= set(figures)


def test_uniform_data_runs_the_sharded_scan(tmp_path):
    out = tmp_path / "index_scale.json"
    subprocess.run([sys.executable, SCRIPT, "--data", "uniform", "--count",
                    "4000", "--dim", "64", "--exact-limit", "1000",
                    "--queries", "50", "--out", str(out)], check=True,
                   timeout=300, capture_output=True)
    figures = json.loads(out.read_text())
    assert figures["index_spec"] == "PQ16x4fs,RFlat"
    assert figures["shards"] >= 1 and figures["k_factor"] >= 16
    assert figures["tuning_recall_at_10"] >= 0.95
    # Fresh queries: near the target, not held to it.
    assert figures["recall_at_10"] >= 0.9
    assert {"latency_ratio_p50", "index_bytes"} <= set(figures)
