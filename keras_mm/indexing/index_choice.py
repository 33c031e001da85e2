"""Which FAISS index a collection gets, and how hard it searches.

As autofaiss does: exact search for small collections; an inverted file
(IVF) above that, with product quantization (PQ) once the raw vectors
would not fit the memory budget. The search breadth (`nprobe`) is then
raised until recall@10 on held-out queries, against exact search,
reaches the target.

When the inverted file must open a large share of its lists to get
there (embeddings that do not cluster), `build_tuned_index` swaps it for
a compressed scan of every row with exact re-ranking, split over the
cores (`keras_mm.indexing.sharded_scan`), if the raw vectors fit: with
coarse and with fine codes, each tuned, and keeps the one that answers
the held-out queries faster.
"""

import math

import numpy as np

from keras_mm.indexing.faiss_module import import_faiss
from keras_mm.indexing.recall import held_out_recall
from keras_mm.indexing.sharded_scan import DIMS_PER_CODE
from keras_mm.indexing.sharded_scan import build_scan_index
from keras_mm.indexing.sharded_scan import pq_codes
from keras_mm.indexing.sharded_scan import query_p50_ms
from keras_mm.indexing.sharded_scan import scan_bytes
from keras_mm.indexing.sharded_scan import scan_spec
from keras_mm.indexing.sharded_scan import training_sample
from keras_mm.indexing.sharded_scan import tune_k_factor
from keras_mm.indexing.tuning_steps import first_passing
from keras_mm.indexing.tuning_steps import geometric_steps

# Below this many vectors exact search is fast enough on one core.
EXACT_LIMIT = 20_000
DEFAULT_MEMORY_BUDGET = 8 * 1024**3
# Three steps per doubling: the tuned breadth is at most ~1.26x the least
# that passes (each step costs one batched search of the held-out queries).
NPROBES = geometric_steps(1, 512)
# Past this share of the lists an IVF search reads several times the
# bytes per row that the compressed scan reads.
WIDE_SHARE = 1 / 8


def choose_index_spec(count, dim, memory_budget=DEFAULT_MEMORY_BUDGET,
                      exact_limit=None):
    """A FAISS factory string for `count` vectors of width `dim`: the
    first choice, before any recall is measured (see `build_tuned_index`).

    Example:
    ```python
    choose_index_spec(1_000, 512)      # "Flat"
    choose_index_spec(1_000_000, 512)  # "IVF1024,Flat"
    ```
    """
    if count < 1 or dim < 1:
        raise ValueError(f"an index needs vectors; got {count} x {dim}")
    if count <= (EXACT_LIMIT if exact_limit is None else exact_limit):
        return "Flat"
    # About sqrt(N) lists keeps both the coarse and the fine scan short.
    lists = 2 ** round(math.log2(math.sqrt(count)))
    if count * dim * 4 <= memory_budget:
        return f"IVF{lists},Flat"
    return f"IVF{lists},PQ{pq_codes(dim)}"


def build_faiss_index(vectors, spec, seed=0):
    """Trains (on at most 64 vectors per list) and fills the index.

    Example:
    ```python
    index = build_faiss_index(embeddings, "IVF256,Flat")
    ```
    """
    faiss = import_faiss()
    vectors = np.ascontiguousarray(vectors, np.float32)
    index = faiss.index_factory(vectors.shape[1], spec,
                                faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        lists = faiss.extract_index_ivf(index).nlist
        index.train(training_sample(vectors, 64 * lists, seed))
    for start in range(0, len(vectors), 65536):
        index.add(vectors[start:start + 65536])
    return index


def set_nprobe(index, nprobe):
    """Sets an IVF index's search breadth; exact indexes ignore it."""
    faiss = import_faiss()
    try:
        faiss.extract_index_ivf(index).nprobe = nprobe
    except RuntimeError:
        pass  # Not an IVF index.


def tune_nprobe(index, vectors, queries, target_recall=0.95, k=10,
                query_rows=None, measure=None):
    """The smallest `nprobe` whose recall on `queries`, less one standard
    error (`recall.recall_lower_bound`), reaches `target_recall`: so
    fresh queries reach it too.

    `query_rows`: when the queries are rows of `vectors`, their row
    numbers; each query's own row is then left out of both result lists.
    `measure`: a `recall.held_out_recall` of these queries, when the
    caller has one (its exact answer is then not computed again).

    Returns `(nprobe, recall_at_k)`, the mean recall of that `nprobe`;
    an exact index returns `(None, 1.0)` as measured. When no breadth
    reaches the target, the widest tried is kept and its recall is
    returned, so the caller can report it.

    Example:
    ```python
    nprobe, recall = tune_nprobe(index, embeddings, held_out_queries)
    ```
    """
    measure = measure or held_out_recall(vectors, queries, k, query_rows)
    lists = ivf_lists(index)
    if lists is None:
        return None, measure(lambda q, n: index.search(q, n)[1])
    return first_passing([n for n in NPROBES if n < lists] + [lists],
                         lambda nprobe: set_nprobe(index, nprobe), measure,
                         lambda q, n: index.search(q, n)[1], target_recall)


def ivf_lists(index):
    """The number of inverted lists, or None for an index without."""
    try:
        return import_faiss().extract_index_ivf(index).nlist
    except RuntimeError:
        return None


def needs_wide_scan(index, nprobe, recall, target_recall,
                    wide_share=WIDE_SHARE):
    """True when the tuned IVF index misses the target or opens more
    than `wide_share` of its lists to reach it."""
    lists = ivf_lists(index)
    return lists is not None and (recall < target_recall
                                  or nprobe > wide_share * lists)


def build_tuned_index(vectors, queries, query_rows=None,
                      memory_budget=DEFAULT_MEMORY_BUDGET,
                      target_recall=0.95, seed=0, exact_limit=None,
                      wide_share=WIDE_SHARE, shards=None):
    """The index `keras-mm index build` writes, tuned on `queries`.

    The first choice is `choose_index_spec`'s, with `nprobe` tuned. An
    IVF index that needs a wide search (`needs_wide_scan`) is replaced by
    the sharded compressed scan (`sharded_scan.build_scan_index`, one
    shard per usable core unless `shards` is given) with `k_factor`
    tuned on the same queries, when its raw vectors fit `memory_budget`
    and it reaches the target; otherwise the IVF index stays. The scan
    is built with each of `sharded_scan.DIMS_PER_CODE` and the one with
    the lower median query time on `queries` is kept.

    Args:
        vectors: `(N, D)` float32 unit rows.
        queries: `(Q, D)` held-out queries for the tuning.
        query_rows: their row numbers when they are rows of `vectors`.
        memory_budget: int. Bytes the index may take.
        target_recall: float. The recall@10 to reach.
        exact_limit: int. Up to this many rows, exact search (default
            `EXACT_LIMIT`).
        wide_share: float. The share of the lists above which an IVF
            search counts as wide.
        shards: int. Shards of the scan (default: usable cores).

    Returns:
        `(index, fields)`: `fields` has `index_spec`, `nprobe`, `shards`,
        `k_factor` (None where they do not apply) and `recall_at_10`.

    Example:
    ```python
    import numpy as np
    from keras_mm.indexing.index_choice import build_tuned_index

    rows = np.random.default_rng(0).standard_normal((3000, 32))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        "float32")
    sample = np.arange(0, 3000, 30)
    index, fields = build_tuned_index(rows, rows[sample],
                                      query_rows=sample, exact_limit=1000)
    fields["index_spec"]  # "PQ8x4fs,RFlat" or "PQ16x4fs,RFlat"
    scores, found = index.search(rows[:2], 10)  # found[:, 0]: [0, 1]
    ```
    """
    count, dim = vectors.shape
    spec = choose_index_spec(count, dim, memory_budget, exact_limit)
    index = build_faiss_index(vectors, spec, seed)
    # One exact answer serves both tuners.
    measure = held_out_recall(vectors, queries, query_rows=query_rows)
    nprobe, recall = tune_nprobe(index, vectors, queries, target_recall,
                                 query_rows=query_rows, measure=measure)
    if nprobe is not None:
        set_nprobe(index, nprobe)
    fields = {"index_spec": spec, "nprobe": nprobe, "shards": None,
              "k_factor": None, "recall_at_10": recall}
    if not needs_wide_scan(index, nprobe, recall, target_recall,
                           wide_share):
        return index, fields
    best = None
    for dims_per_code in DIMS_PER_CODE:
        if scan_bytes(count, dim, dims_per_code) > memory_budget:
            continue
        scan = build_scan_index(vectors, shards, seed, dims_per_code)
        k_factor, scan_recall = tune_k_factor(scan, vectors, queries,
                                              target_recall,
                                              query_rows=query_rows,
                                              measure=measure)
        if scan_recall < target_recall:
            continue
        p50 = query_p50_ms(scan, queries)
        if best is None or p50 < best[0]:
            best = (p50, scan, {
                "index_spec": scan_spec(dim, dims_per_code),
                "nprobe": None, "shards": scan.count(),
                "k_factor": k_factor, "recall_at_10": scan_recall})
        del scan  # At most two scans (the best and the newest) held.
    if best is None:
        return index, fields
    return best[1], best[2]
