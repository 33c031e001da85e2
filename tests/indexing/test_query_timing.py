"""The median time of one search, one query at a time."""

import numpy as np

from keras_mm.indexing.query_timing import median_query_ms


def test_one_query_at_a_time_after_a_warm_call():
    seen = []
    queries = np.arange(12, dtype="float32").reshape(4, 3)
    ms = median_query_ms(lambda q: seen.append(q.copy()), queries)
    assert ms >= 0
    # The warm-up call, then each row alone as a (1, D) query.
    assert [q.shape for q in seen] == [(1, 3)] * 5
    np.testing.assert_array_equal(np.concatenate(seen[1:]), queries)
