"""Which FAISS index a collection gets, and how hard it searches.

As autofaiss does: exact search for small collections; an inverted file
(IVF) above that, with product quantization (PQ) once the raw vectors
would not fit the memory budget. The search breadth (`nprobe`) is then
raised until recall@10 on held-out queries, against exact search,
reaches the target.
"""

import math

import numpy as np

from keras_mm.indexing.faiss_module import import_faiss
from keras_mm.indexing.recall import drop_own_rows
from keras_mm.indexing.recall import exact_top_k
from keras_mm.indexing.recall import recall_at_k

# Below this many vectors exact search is fast enough on one core.
EXACT_LIMIT = 20_000
DEFAULT_MEMORY_BUDGET = 8 * 1024**3
NPROBES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def choose_index_spec(count, dim, memory_budget=DEFAULT_MEMORY_BUDGET):
    """A FAISS factory string for `count` vectors of width `dim`.

    Example:
    ```python
    choose_index_spec(1_000, 512)      # "Flat"
    choose_index_spec(1_000_000, 512)  # "IVF1024,Flat"
    ```
    """
    if count < 1 or dim < 1:
        raise ValueError(f"an index needs vectors; got {count} x {dim}")
    if count <= EXACT_LIMIT:
        return "Flat"
    # About sqrt(N) lists keeps both the coarse and the fine scan short.
    lists = 2 ** round(math.log2(math.sqrt(count)))
    if count * dim * 4 <= memory_budget:
        return f"IVF{lists},Flat"
    # The largest code of at most dim / 4 bytes that divides the width.
    codes = max(m for m in range(1, dim // 4 + 1) if dim % m == 0)
    return f"IVF{lists},PQ{codes}"


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
        sample = min(len(vectors), 64 * lists)
        rows = np.random.default_rng(seed).choice(len(vectors), sample,
                                                  replace=False)
        index.train(vectors[np.sort(rows)])
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
                query_rows=None):
    """The smallest `nprobe` reaching `target_recall` on `queries`.

    `query_rows`: when the queries are rows of `vectors`, their row
    numbers; each query's own row is then left out of both result lists.

    Returns `(nprobe, recall_at_k)`; an exact index returns `(None, 1.0)`
    as measured. When no breadth reaches the target, the widest tried is
    kept and its recall is returned, so the caller can report it.

    Example:
    ```python
    nprobe, recall = tune_nprobe(index, embeddings, held_out_queries)
    ```
    """
    faiss = import_faiss()
    queries = np.ascontiguousarray(queries, np.float32)
    wanted = k if query_rows is None else min(k + 1, len(vectors))

    def top(found):
        return (found if query_rows is None
                else drop_own_rows(found, query_rows, k))

    truth = top(exact_top_k(vectors, queries, wanted))
    try:
        lists = faiss.extract_index_ivf(index).nlist
    except RuntimeError:
        return None, recall_at_k(top(index.search(queries, wanted)[1]),
                                 truth)
    recall = 0.0
    for nprobe in [n for n in NPROBES if n < lists] + [lists]:
        set_nprobe(index, nprobe)
        recall = recall_at_k(top(index.search(queries, wanted)[1]), truth)
        if recall >= target_recall:
            break
    return nprobe, recall
