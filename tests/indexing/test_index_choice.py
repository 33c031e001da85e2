"""The index chooser: exact when small, IVF above, PQ past the budget,
the sharded scan when IVF needs a wide search."""

import numpy as np
import pytest

from keras_mm.indexing import index_choice
from keras_mm.indexing.index_choice import build_faiss_index
from keras_mm.indexing.index_choice import build_tuned_index
from keras_mm.indexing.index_choice import choose_index_spec
from keras_mm.indexing.index_choice import needs_wide_scan
from keras_mm.indexing.index_choice import tune_nprobe
from keras_mm.indexing.recall import drop_own_rows
from keras_mm.indexing.recall import exact_top_k
from keras_mm.indexing.recall import recall_at_k
from keras_mm.indexing.sharded_scan import scan_bytes
from keras_mm.indexing.sharded_scan import shard_parts

faiss = pytest.importorskip("faiss")


def test_specs_by_size_and_budget():
    assert choose_index_spec(1_000, 512) == "Flat"
    assert choose_index_spec(1_000_000, 512) == "IVF1024,Flat"
    assert choose_index_spec(1_000_000, 512, memory_budget=10**9) == (
        "IVF1024,PQ128")
    with pytest.raises(ValueError, match="needs vectors"):
        choose_index_spec(0, 512)


def test_exact_top_k_and_recall():
    vectors = np.eye(4, dtype="float32")
    query = np.array([[0.1, 0.9, 0.5, 0.0]], "float32")
    np.testing.assert_array_equal(exact_top_k(vectors, query, 2), [[1, 2]])
    assert recall_at_k([[1, 2]], [[2, 3]]) == 0.5
    np.testing.assert_array_equal(drop_own_rows([[3, 1, 2]], [3], 2),
                                  [[1, 2]])


def test_ivf_tuned_to_target_recall():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 16)).astype("float32")
    vectors = centres[rng.integers(0, 40, 4000)] + 0.3 * rng.standard_normal(
        (4000, 16)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_faiss_index(vectors, "IVF64,Flat")
    rows = np.arange(0, 4000, 40)
    nprobe, recall = tune_nprobe(index, vectors, vectors[rows],
                                 query_rows=rows)
    assert recall >= 0.95 and 1 <= nprobe <= 64
    flat = build_faiss_index(vectors, "Flat")
    assert tune_nprobe(flat, vectors, vectors[rows], query_rows=rows) == (
        None, 1.0)


def _uniform(count, dim, seed):
    rows = np.random.default_rng(seed).standard_normal((count, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")


def _clustered(count, dim, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dim))
    rows = (centres[rng.integers(0, 40, count)]
            + 0.3 * rng.standard_normal((count, dim)))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")


def test_uniform_rows_fall_back_to_sharded_scan():
    vectors = _uniform(3000, 32, 0)
    rows = np.arange(0, 3000, 30)
    index, fields = build_tuned_index(vectors, vectors[rows],
                                      query_rows=rows, exact_limit=1000,
                                      shards=2)
    assert fields["index_spec"] in ("PQ8x4fs,RFlat", "PQ16x4fs,RFlat")
    assert fields["shards"] == 2 and index.count() == 2
    assert fields["k_factor"] >= 8 and fields["nprobe"] is None
    assert fields["recall_at_10"] >= 0.95


@pytest.mark.parametrize("faster", ["PQ8x4fs,RFlat", "PQ16x4fs,RFlat"])
def test_scan_with_faster_codes_is_kept(monkeypatch, faster):
    # The machine decides which codes answer faster; here a stand-in
    # clock says which, and the builder must keep that one.
    def p50(scan, queries):
        return 1.0 if scan_spec_of(scan) == faster else 2.0

    monkeypatch.setattr(index_choice, "query_p50_ms", p50)
    vectors = _uniform(3000, 32, 0)
    rows = np.arange(0, 3000, 30)
    index, fields = build_tuned_index(vectors, vectors[rows],
                                      query_rows=rows, exact_limit=1000,
                                      shards=2)
    assert fields["index_spec"] == faster
    assert scan_spec_of(index) == faster


def test_scan_codes_past_the_budget_are_skipped():
    vectors = _uniform(3000, 32, 0)
    rows = np.arange(0, 3000, 30)
    # Room for the coarse scan (4 code bytes a row) but not the fine one.
    _, fields = build_tuned_index(vectors, vectors[rows], query_rows=rows,
                                  memory_budget=scan_bytes(3000, 32),
                                  exact_limit=1000, shards=2)
    assert fields["index_spec"] == "PQ8x4fs,RFlat"


def scan_spec_of(scan):
    """Which codes a 32-wide scan holds: 4 bytes a row (8 codes) or 8."""
    code_bytes = faiss.downcast_index(shard_parts(scan)[0].base_index).code_size
    return {4: "PQ8x4fs,RFlat", 8: "PQ16x4fs,RFlat"}[code_bytes]


def test_clustered_rows_keep_ivf():
    vectors = _clustered(3000, 32, 0)
    rows = np.arange(0, 3000, 30)
    _, fields = build_tuned_index(vectors, vectors[rows], query_rows=rows,
                                  exact_limit=1000, shards=2)
    assert fields["index_spec"].startswith("IVF")
    assert fields["shards"] is None and fields["k_factor"] is None
    assert fields["recall_at_10"] >= 0.95


def test_scan_needs_the_raw_vectors_in_the_budget():
    vectors = _uniform(3000, 32, 0)
    rows = np.arange(0, 3000, 30)
    # Room for the raw vectors but not for the scan's codes beside them:
    # the wide IVF index stays.
    _, fields = build_tuned_index(vectors, vectors[rows], query_rows=rows,
                                  memory_budget=3000 * 32 * 4,
                                  exact_limit=1000)
    assert fields["index_spec"] == "IVF64,Flat" and fields["k_factor"] is None
    assert fields["nprobe"] > 64 / 8


def test_wide_search_rule():
    index = build_faiss_index(_clustered(2000, 16, 0), "IVF32,Flat")
    assert not needs_wide_scan(index, 4, 0.97, 0.95)
    assert needs_wide_scan(index, 8, 0.97, 0.95)
    assert needs_wide_scan(index, 32, 0.90, 0.95)
    assert not needs_wide_scan(build_faiss_index(_uniform(100, 16, 0),
                                                 "Flat"), 1, 1.0, 0.95)
