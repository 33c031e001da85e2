"""The sharded compressed scan: spec, row ids, k_factor tuning."""

import numpy as np
import pytest

from keras_mm.indexing.recall import held_out_recall
from keras_mm.indexing.sharded_scan import build_scan_index
from keras_mm.indexing.sharded_scan import scan_spec
from keras_mm.indexing.sharded_scan import set_k_factor
from keras_mm.indexing.sharded_scan import shard_parts
from keras_mm.indexing.sharded_scan import shard_sizes
from keras_mm.indexing.sharded_scan import tune_k_factor
from keras_mm.indexing.sharded_scan import usable_cores

pytest.importorskip("faiss")


def _uniform(count, dim, seed):
    rows = np.random.default_rng(seed).standard_normal((count, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")


def test_spec_codes_divide_the_width():
    assert scan_spec(512) == "PQ128x4fs,RFlat"
    assert scan_spec(48) == "PQ12x4fs,RFlat"
    assert scan_spec(30) == "PQ6x4fs,RFlat"
    assert usable_cores() >= 1
    assert shard_sizes(10, 3) == [4, 3, 3]


def test_shards_return_row_numbers():
    vectors = _uniform(3000, 32, 0)
    index = build_scan_index(vectors, shards=3)
    assert index.count() == 3 and index.ntotal == 3000
    set_k_factor(index, 64)
    assert [part.k_factor for part in shard_parts(index)] == [64] * 3
    rows = np.array([5, 1500, 2999])
    _, found = index.search(vectors[rows], 1)
    np.testing.assert_array_equal(found[:, 0], rows)


def test_k_factor_tuned_to_target_on_held_out_queries():
    vectors = _uniform(3000, 32, 0)
    index = build_scan_index(vectors, shards=2)
    k_factor, recall = tune_k_factor(index, vectors, _uniform(100, 32, 1))
    assert recall >= 0.95 and k_factor >= 16
    # Queries the tuner never saw land near the target too.
    fresh = held_out_recall(vectors, _uniform(100, 32, 2))
    assert fresh(lambda q, n: index.search(q, n)[1]) >= 0.9
