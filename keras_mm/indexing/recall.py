"""Exact top-k by inner product, and recall@k against it."""

import numpy as np


def exact_top_k(vectors, queries, k):
    """Indices `(Q, k)` of the `k` largest inner products, best first.

    Queries go in chunks so that the score matrix `(chunk, N)` stays near
    16 M entries (64 MB) whatever the collection's size.

    Example:
    ```python
    truth = exact_top_k(embeddings, queries, 10)
    ```
    """
    vectors = np.asarray(vectors, np.float32)
    queries = np.asarray(queries, np.float32)
    k = min(k, len(vectors))
    chunk = max(1, 2**24 // max(1, len(vectors)))
    rows = []
    for start in range(0, len(queries), chunk):
        scores = queries[start:start + chunk] @ vectors.T  # (q, N)
        # argpartition finds the k best in O(N); only those get sorted.
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1)
        rows.append(np.take_along_axis(top, order, 1))
    return np.concatenate(rows)


def recall_at_k(found, truth):
    """Mean share of each query's true top-k that `found` returned.

    Example:
    ```python
    recall_at_k([[1, 2]], [[2, 3]])  # 0.5
    ```
    """
    return float(np.mean(per_query_recall(found, truth)))


def per_query_recall(found, truth):
    """`(Q,)`: the share of each query's true top-k that `found` returned.

    Example:
    ```python
    per_query_recall([[1, 2], [4, 5]], [[2, 3], [4, 5]])  # [0.5, 1.0]
    ```
    """
    found, truth = np.asarray(found), np.asarray(truth)
    return np.asarray([len(set(f.tolist()) & set(t.tolist())) / len(t)
                       for f, t in zip(found, truth)], np.float64)


def recall_lower_bound(per_query):
    """The mean recall less one standard error of it.

    A setting tuned until the mean over one sample of queries passes a
    target is the one that sample flatters; on fresh queries it falls
    short about half the time. Tuning on this bound leaves a margin that
    shrinks as the sample grows.

    Example:
    ```python
    recall_lower_bound([1.0, 0.9, 0.8, 1.0])  # 0.925 - 0.048
    ```
    """
    per_query = np.asarray(per_query, np.float64)
    if len(per_query) < 2:
        return float(np.mean(per_query))
    error = np.std(per_query, ddof=1) / np.sqrt(len(per_query))
    return float(np.mean(per_query) - error)


def drop_own_rows(found, rows, k):
    """The first `k` of each row of `found` other than the query's own row.

    Queries sampled from the collection find themselves first; dropping
    that hit measures recall on the neighbours the user asks for.

    Example:
    ```python
    drop_own_rows([[3, 1, 2]], [3], 2)  # [[1, 2]]
    ```
    """
    return np.asarray([[i for i in hits if i != row][:k]
                       for hits, row in zip(np.asarray(found).tolist(),
                                            np.asarray(rows).tolist())])


def held_out_recall(vectors, queries, k=10, query_rows=None):
    """A function `search → recall@k` on `queries` against exact search.

    `search(queries, count)` returns `(Q, count)` row numbers, as FAISS's
    `index.search(...)[1]` does. `query_rows`: when the queries are rows
    of `vectors`, their row numbers; each query's own row is then left
    out of both result lists. The exact answer is computed once, so one
    tuner can try many settings against it. Called with
    `per_query=True`, the function returns each query's recall instead
    of their mean (the tuners compare `recall_lower_bound` of them with
    their target).

    Example:
    ```python
    measure = held_out_recall(embeddings, embeddings[:50], 10,
                              query_rows=range(50))
    measure(lambda q, n: index.search(q, n)[1])  # e.g. 0.96
    measure(lambda q, n: index.search(q, n)[1], per_query=True)  # (50,)
    ```
    """
    queries = np.ascontiguousarray(queries, np.float32)
    wanted = k if query_rows is None else min(k + 1, len(vectors))

    def top(found):
        return (np.asarray(found) if query_rows is None
                else drop_own_rows(found, query_rows, k))

    truth = top(exact_top_k(vectors, queries, wanted))

    def measure(search, per_query=False):
        recalls = per_query_recall(top(search(queries, wanted)), truth)
        return recalls if per_query else float(np.mean(recalls))

    return measure
