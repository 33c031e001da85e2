"""Writing and reading an index folder's FAISS files."""

import os

import numpy as np
import pytest

from keras_mm.indexing.faiss_storage import read_faiss_index
from keras_mm.indexing.faiss_storage import write_faiss_index
from keras_mm.indexing.index_choice import build_faiss_index
from keras_mm.indexing.index_choice import set_nprobe
from keras_mm.indexing.sharded_scan import build_scan_index
from keras_mm.indexing.sharded_scan import set_k_factor

pytest.importorskip("faiss")


def _uniform(count, dim, seed):
    rows = np.random.default_rng(seed).standard_normal((count, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")


def test_sharded_scan_round_trip_gives_identical_results(tmp_path):
    vectors, queries = _uniform(2000, 32, 0), _uniform(20, 32, 1)
    index = build_scan_index(vectors, shards=2)
    set_k_factor(index, 32)
    paths = write_faiss_index(str(tmp_path), index)
    assert [os.path.basename(p) for p in paths] == [
        "index.00.faiss", "index.01.faiss"]
    assert not [n for n in os.listdir(tmp_path) if ".tmp-" in n]
    loaded = read_faiss_index(str(tmp_path), {"shards": 2, "k_factor": 32})
    for got, want in zip(loaded.search(queries, 10),
                         index.search(queries, 10)):
        np.testing.assert_array_equal(got, want)
    # index.json's k_factor is the one searched with.
    loaded = read_faiss_index(str(tmp_path), {"shards": 2, "k_factor": 1})
    set_k_factor(index, 1)
    np.testing.assert_array_equal(loaded.search(queries, 10)[1],
                                  index.search(queries, 10)[1])


def test_single_index_round_trip_keeps_nprobe(tmp_path):
    vectors, queries = _uniform(2000, 16, 0), _uniform(20, 16, 1)
    index = build_faiss_index(vectors, "IVF16,Flat")
    set_nprobe(index, 3)
    assert write_faiss_index(str(tmp_path), index) == [
        str(tmp_path / "index.faiss")]
    loaded = read_faiss_index(str(tmp_path), {"nprobe": 3, "shards": None})
    np.testing.assert_array_equal(loaded.search(queries, 10)[1],
                                  index.search(queries, 10)[1])
