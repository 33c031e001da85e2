"""benchmarks/index_scale.py --tiny: FAISS against exact NumPy search."""

import json
import os
import subprocess
import sys

import numpy as np
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
    assert figures["index_spec"] in ("PQ16x4fs,RFlat", "PQ32x4fs,RFlat")
    assert figures["shards"] >= 1 and figures["k_factor"] >= 8
    assert figures["tuning_recall_at_10"] >= 0.95
    # Fresh queries: near the target, not held to it.
    assert figures["recall_at_10"] >= 0.9
    assert {"latency_ratio_p50", "index_bytes"} <= set(figures)


def test_embeddings_of_an_index_folder(tmp_path):
    # A collection's own rows: queries are held out of it, not drawn.
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((30, 48))
    rows = centres[rng.integers(0, 30, 3000)] + 0.5 * rng.standard_normal(
        (3000, 48))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    (tmp_path / "photos_index").mkdir()
    np.save(tmp_path / "photos_index" / "embeddings.npy",
            rows.astype("float32"))
    out = tmp_path / "collection.json"
    subprocess.run([sys.executable, SCRIPT, "--embeddings",
                    str(tmp_path / "photos_index"), "--exact-limit", "500",
                    "--queries", "50", "--out", str(out)], check=True,
                   timeout=300, capture_output=True)
    figures = json.loads(out.read_text())
    assert figures["count"] == 3000 - 2 * 50 and figures["dim"] == 48
    assert figures["data"] == "embeddings"
    assert figures["embeddings"].endswith("embeddings.npy")
    assert figures["index_spec"] != "Flat"
    assert figures["recall_at_10"] >= 0.9


def test_embeddings_need_rows_for_the_queries(tmp_path):
    np.save(tmp_path / "few.npy", np.eye(8, 4, dtype="float32"))
    result = subprocess.run([sys.executable, SCRIPT, "--embeddings",
                             str(tmp_path / "few.npy"), "--queries", "50"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "few.npy" in lines[-1] and "rows" in lines[-1]
