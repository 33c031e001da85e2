"""A compressed scan of every vector, split over the cores, re-ranked
exactly: the index for embeddings that do not cluster.

An inverted file only saves work when a query's neighbours sit in a few
lists. When they do not, each shard here scans 4-bit fast-scan PQ codes
of all its rows (`PQ{dim/4}x4fs` or `PQ{dim/2}x4fs`), keeps
`k_factor * k` candidates and re-ranks them with the raw vectors
(`RFlat`). The shards are searched in parallel, one per usable core, and
`k_factor` is raised until recall@k on held-out queries reaches the
target.

The scan reads every code once per query, so its time follows the code
bytes; the coarser codes read half as many but rank worse, and need many
more candidates. Which is faster depends on the data and the machine:
`index_choice.build_tuned_index` builds both and keeps the faster.
"""

import numpy as np

from keras_mm.host_cores import usable_cores
from keras_mm.indexing.faiss_module import import_faiss
from keras_mm.indexing.recall import held_out_recall
from keras_mm.indexing.query_timing import median_query_ms
from keras_mm.indexing.tuning_steps import first_passing
from keras_mm.indexing.tuning_steps import geometric_steps

# As index_choice.NPROBES: the tuned value is at most ~1.26x the least
# that passes.
K_FACTORS = geometric_steps(8, 2048)
# Dimensions per 4-bit code: coarse codes first (half the bytes).
DIMS_PER_CODE = (4, 2)
# PQ k-means needs a few hundred rows per centroid; more adds time only.
TRAINING_ROWS = 65_536


def pq_codes(dim, dims_per_code=4):
    """The most PQ codes of at most `dim / dims_per_code` that divide the
    width, so each code covers a whole number of dimensions."""
    most = max(1, dim // dims_per_code)
    return max(m for m in range(1, most + 1) if dim % m == 0)


def scan_spec(dim, dims_per_code=4):
    """The FAISS factory string of one shard.

    Example:
    ```python
    scan_spec(512)     # "PQ128x4fs,RFlat"
    scan_spec(512, 2)  # "PQ256x4fs,RFlat"
    ```
    """
    return f"PQ{pq_codes(dim, dims_per_code)}x4fs,RFlat"


def scan_bytes(count, dim, dims_per_code=4):
    """Memory of the scan index: the raw rows the re-ranking reads plus
    one 4-bit code per PQ code."""
    return count * (dim * 4 + (pq_codes(dim, dims_per_code) + 1) // 2)


def training_sample(vectors, size, seed=0):
    """At most `size` rows of `vectors`, drawn without replacement, in
    row order."""
    if len(vectors) <= size:
        return vectors
    rows = np.random.default_rng(seed).choice(len(vectors), size,
                                              replace=False)
    return vectors[np.sort(rows)]


def shard_sizes(count, shards):
    """Rows per shard, as even as possible."""
    return [len(part) for part in np.array_split(np.arange(count), shards)]


def build_scan_index(vectors, shards=None, seed=0, dims_per_code=4):
    """An `IndexShards` of `shards` (default: the usable cores) fast-scan
    indexes over consecutive rows, so result ids are row numbers; each
    4-bit code covers `dims_per_code` dimensions.

    The codebooks are trained once and copied into every shard: each
    shard then codes its rows the same way.

    Example:
    ```python
    import numpy as np
    from keras_mm.indexing.sharded_scan import build_scan_index
    from keras_mm.indexing.sharded_scan import set_k_factor

    rows = np.random.default_rng(0).standard_normal((2000, 32))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")
    index = build_scan_index(rows, shards=2)
    set_k_factor(index, 64)
    scores, found = index.search(rows[1500:1501], 10)  # found[0, 0]: 1500
    ```
    """
    faiss = import_faiss()
    vectors = np.ascontiguousarray(vectors, np.float32)
    shards = max(1, min(shards or usable_cores(), len(vectors)))
    trained = faiss.index_factory(vectors.shape[1],
                                  scan_spec(vectors.shape[1], dims_per_code),
                                  faiss.METRIC_INNER_PRODUCT)
    trained.train(training_sample(vectors, TRAINING_ROWS, seed))
    parts = []
    start = 0
    for size in shard_sizes(len(vectors), shards):
        part = faiss.clone_index(trained)
        part.add(vectors[start:start + size])
        parts.append(part)
        start += size
    return join_shards(parts)


def join_shards(parts):
    """One index searching `parts` in parallel threads; the ids of part
    `i` follow those of part `i - 1`."""
    faiss = import_faiss()
    index = faiss.IndexShards(parts[0].d, True, True)
    for part in parts:
        index.add_shard(part)  # The Python wrapper keeps `part` alive.
    return index


def shard_parts(index):
    """The per-shard indexes of an `IndexShards`, as their own types."""
    faiss = import_faiss()
    return [faiss.downcast_index(index.at(i)) for i in range(index.count())]


def set_k_factor(index, k_factor):
    """Re-ranks `k_factor * k` candidates per shard from now on."""
    for part in shard_parts(index):
        part.k_factor = float(k_factor)


def tune_k_factor(index, vectors, queries, target_recall=0.95, k=10,
                  query_rows=None, measure=None):
    """The smallest `k_factor` whose recall on `queries`, less one
    standard error (`recall.recall_lower_bound`), reaches
    `target_recall`.

    `measure`: a `recall.held_out_recall` of these queries, when the
    caller has one (its exact answer is then not computed again).

    Returns `(k_factor, recall_at_k)`, the mean recall of that
    `k_factor`, and leaves the index set to it. When none reaches the
    target, the largest is kept and its recall returned, so the caller
    can decide.

    Example:
    ```python
    k_factor, recall = tune_k_factor(index, embeddings, held_out_queries)
    ```
    """
    measure = measure or held_out_recall(vectors, queries, k, query_rows)
    return first_passing(K_FACTORS, lambda kf: set_k_factor(index, kf),
                         measure, lambda q, n: index.search(q, n)[1],
                         target_recall)


def query_p50_ms(index, queries, k=10):
    """Median milliseconds of `index.search` on one query at a time (what
    a /search request does), over `queries`.

    Example:
    ```python
    query_p50_ms(index, held_out_queries)  # e.g. 4.6
    ```
    """
    return median_query_ms(lambda query: index.search(query, k), queries)
