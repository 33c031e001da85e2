"""The index chooser: exact when small, IVF above, PQ past the budget."""

import numpy as np
import pytest

from keras_mm.indexing.index_choice import build_faiss_index
from keras_mm.indexing.index_choice import choose_index_spec
from keras_mm.indexing.index_choice import tune_nprobe
from keras_mm.indexing.recall import drop_own_rows
from keras_mm.indexing.recall import exact_top_k
from keras_mm.indexing.recall import recall_at_k

pytest.importorskip("faiss")


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
