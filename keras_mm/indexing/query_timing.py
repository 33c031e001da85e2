"""How long one search request takes: the figure the index builder and
benchmarks/index_scale.py compare indexes (and exact search) by.
"""

import time

import numpy as np


def median_query_ms(search, queries):
    """Median milliseconds of `search(query)` on one `(1, D)` query at a
    time (what a /search request does), over the rows of `queries`,
    after one call that warms threads and pages.

    Example:
    ```python
    median_query_ms(lambda q: index.search(q, 10), held_out_queries)
    ```
    """
    queries = np.ascontiguousarray(queries, np.float32)
    search(queries[:1])
    times = []
    for row in range(len(queries)):
        start = time.perf_counter()
        search(queries[row:row + 1])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)
