"""Recall per query, and the lower bound the tuners aim at."""

import numpy as np

from keras_mm.indexing.recall import held_out_recall
from keras_mm.indexing.recall import per_query_recall
from keras_mm.indexing.recall import recall_at_k
from keras_mm.indexing.recall import recall_lower_bound


def test_per_query_recall_and_its_mean():
    found = [[1, 2, 3], [4, 5, 6]]
    truth = [[3, 2, 9], [4, 5, 6]]
    np.testing.assert_allclose(per_query_recall(found, truth), [2 / 3, 1])
    assert recall_at_k(found, truth) == (2 / 3 + 1) / 2


def test_lower_bound_is_the_mean_less_one_standard_error():
    recalls = np.array([1.0, 0.9, 0.8, 1.0])
    error = np.std(recalls, ddof=1) / 2
    assert np.isclose(recall_lower_bound(recalls), 0.925 - error)
    # Every query alike: no spread, no margin.
    assert recall_lower_bound([0.9] * 50) == 0.9
    assert recall_lower_bound([0.7]) == 0.7
    # The margin shrinks with more queries.
    wide = recall_lower_bound(np.tile(recalls, 25))
    assert recall_lower_bound(recalls) < wide < 0.925


def test_held_out_measure_gives_the_mean_or_each_query():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((500, 8)).astype("float32")
    queries = rng.standard_normal((40, 8)).astype("float32")
    measure = held_out_recall(vectors, queries, k=5)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
    # A search that misses each query's best row in every other query.
    half_wrong = truth.copy()
    half_wrong[::2, 0] = -1
    search = lambda q, n: half_wrong  # noqa: E731
    assert measure(search) == 0.9
    np.testing.assert_allclose(measure(search, per_query=True),
                               np.tile([0.8, 1.0], 20))
    expected = recall_lower_bound(np.tile([0.8, 1.0], 20))
    assert np.isclose(recall_lower_bound(measure(search, per_query=True)),
                      expected)
    assert recall_lower_bound(measure(search, per_query=True)) < 0.9
