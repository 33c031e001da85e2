"""FaissIndex over a sharded scan: filtered search against exact search."""

import os

import numpy as np
import pytest

from keras_mm.data.pair import Pair
from keras_mm.indexing import FaissIndex
from keras_mm.indexing import build_index
from keras_mm.indexing.recall import recall_at_k

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def scan_folder(tmp_path_factory):
    import keras_mm.indexing.index_choice as choice

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 32)).astype("float32")
    pairs = [Pair(f"img{i}.png", f"c{i}",
                  meta={"half": str(i % 2), "rare": str(i % 50 == 0)})
             for i in range(3000)]
    out = str(tmp_path_factory.mktemp("scan") / "index")
    limit, choice.EXACT_LIMIT = choice.EXACT_LIMIT, 1000
    try:
        info = build_index(pairs, lambda b: vectors[[int(p.media[3:-4])
                                                     for p in b]],
                           out, shard_size=1000, progress=False)
    finally:
        choice.EXACT_LIMIT = limit
    assert info["k_factor"], info  # The sharded scan was chosen.
    return out


def _exact_filtered(unit, query, rows, k):
    scores = unit[rows] @ query
    return rows[np.argsort(-scores, kind="stable")[:k]]


def test_filtered_search_matches_exact_filtered_search(scan_folder,
                                                      monkeypatch):
    index = FaissIndex(scan_folder, exact_limit=100)
    # A filter keeping half the rows goes through the scan, not NumPy.
    monkeypatch.setattr(index, "_exact", None)
    unit = np.load(os.path.join(scan_folder, "embeddings.npy"))
    queries = np.random.default_rng(1).standard_normal((40, 32))
    half = np.arange(1, 3000, 2)
    found, truth = [], []
    for query in queries.astype("float32"):
        hits = index.search(query, k=10, where={"half": "1"})
        assert len(hits) == 10 and {h["half"] for h in hits} == {"1"}
        rows = np.array([h["row"] for h in hits])
        # Every score is the exact inner product of its row.
        np.testing.assert_allclose([h["score"] for h in hits],
                                   unit[rows] @ query, atol=1e-5)
        found.append(rows)
        truth.append(_exact_filtered(unit, query, half, 10))
    assert recall_at_k(found, truth) >= 0.95


def test_narrow_filter_is_searched_exactly(scan_folder):
    index = FaissIndex(scan_folder, exact_limit=10)
    unit = np.load(os.path.join(scan_folder, "embeddings.npy"))
    query = np.random.default_rng(2).standard_normal(32).astype("float32")
    rare = np.arange(0, 3000, 50)
    hits = index.search(query, k=5, where={"rare": "True"})
    np.testing.assert_array_equal([h["row"] for h in hits],
                                  _exact_filtered(unit, query, rare, 5))
