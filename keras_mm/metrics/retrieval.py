"""Cross-modal retrieval metrics over embeddings (NumPy)."""

import numpy as np


def _as_groups(labels):
    """Maps arbitrary hashable labels (e.g. caption strings) to int ids."""
    index = {}
    return np.array([index.setdefault(label, len(index)) for label in labels])


def retrieval_ranks(queries, candidates, query_groups, candidate_groups,
                    block_size=1024):
    """Rank (0-based) of the best relevant candidate for each query.

    A candidate is relevant when its group equals the query's group, so
    several captions per image and identical captions are both handled.
    Ties in similarity count against the query (pessimistic ranking).
    Queries are scored `block_size` at a time, so memory stays
    `block_size × candidates`.
    """
    queries = np.asarray(queries, np.float32)
    candidates = np.asarray(candidates, np.float32)
    query_groups = np.asarray(query_groups)
    candidate_groups = np.asarray(candidate_groups)
    ranks = []
    for start in range(0, len(queries), block_size):
        stop = start + block_size
        similarity = queries[start:stop] @ candidates.T  # (Q, C)
        relevant = (query_groups[start:stop, None]
                    == candidate_groups[None, :])
        if not relevant.any(axis=1).all():
            missing = start + int(np.flatnonzero(~relevant.any(axis=1))[0])
            raise ValueError(f"Query {missing} has no relevant candidate.")
        best_relevant = np.where(relevant, similarity, -np.inf).max(axis=1)
        # Irrelevant candidates scoring at least as high as the best
        # relevant one.
        ranks.append(np.sum(~relevant & (similarity
                                          >= best_relevant[:, None]),
                            axis=1))
    return np.concatenate(ranks) if ranks else np.zeros(0, np.int64)


def recall_at_k(
    image_embeddings, text_embeddings, image_labels, text_labels, ks=(1, 5, 10)
):
    """Recall@K in both directions, plus mean and median rank (1-based).

    Args:
        image_embeddings: `(N_images, D)` unit-norm embeddings.
        text_embeddings: `(N_texts, D)` unit-norm embeddings.
        image_labels: length `N_images`; an image matches every text with an
            equal label (e.g. the caption string, or an image id).
        text_labels: length `N_texts`.
        ks: the K values.

    Returns:
        `{"image_to_text": {"R@1": …, "mean_rank": …, "median_rank": …},
        "text_to_image": {…}}`.

    Example:
    ```python
    e = np.eye(3, dtype="float32")
    keras_mm.metrics.recall_at_k(e, e, [0, 1, 2], [0, 1, 2])
    ```
    """
    groups = _as_groups(list(image_labels) + list(text_labels))
    image_groups = groups[: len(image_labels)]
    text_groups = groups[len(image_labels):]
    report = {}
    for name, q, c, qg, cg in (
        ("image_to_text", image_embeddings, text_embeddings,
         image_groups, text_groups),
        ("text_to_image", text_embeddings, image_embeddings,
         text_groups, image_groups),
    ):
        ranks = retrieval_ranks(q, c, qg, cg)
        entry = {f"R@{k}": float(np.mean(ranks < k)) for k in ks}
        entry["mean_rank"] = float(np.mean(ranks) + 1)
        entry["median_rank"] = float(np.median(ranks) + 1)
        report[name] = entry
    return report


def normalize_caption(text):
    """The form under which two captions count as the same text: case
    folded, runs of whitespace collapsed, ends stripped.

    Example:
    ```python
    keras_mm.metrics.normalize_caption("  A photo of a  Cat.")
    # 'a photo of a cat.'
    ```
    """
    return " ".join(str(text).split()).casefold()


def caption_groups(captions):
    """The distinct captions, in order of first appearance, and for each
    caption the index of its distinct caption.

    Returns:
        `(first, groups)`: `first` holds the index in `captions` of each
        distinct caption's first occurrence; `groups` is an int array with
        `captions[first[groups[i]]]` equal (normalised) to `captions[i]`.

    Example:
    ```python
    keras_mm.metrics.caption_groups(["a cat", "a dog", "A  cat"])
    # ([0, 1], array([0, 1, 0]))
    ```
    """
    index, first = {}, []
    groups = np.empty(len(captions), np.int64)
    for i, caption in enumerate(captions):
        key = normalize_caption(caption)
        if key not in index:
            index[key] = len(first)
            first.append(i)
        groups[i] = index[key]
    return first, groups


def caption_recall_at_k(image_embeddings, text_embeddings, captions,
                        ks=(1, 5, 10)):
    """Recall@K of image–caption pairs, identical captions merged.

    Row `i` of `image_embeddings` is paired with `captions[i]`. Captions
    equal after `normalize_caption` are one entry of the text gallery, so
    image→text counts the identical text as a hit and K other distinct
    captions (not K copies of one caption) fill the top K; text→image has
    one query per distinct caption, whose hits are every image carrying
    that caption. On class-like captions ("a photo of a cat" × 50) plain
    per-row Recall@1, @5 and @10 come out equal; these do not.

    Args:
        image_embeddings: `(N, D)` unit-norm embeddings, one per pair.
        text_embeddings: `(N, D)` embeddings of `captions`, or `(U, D)`
            embeddings of the distinct captions only (in the order of
            `caption_groups(captions)`), which saves encoding copies.
        captions: length-`N` list of str.
        ks: the K values.

    Returns:
        As `recall_at_k`.

    Example:
    ```python
    e = np.eye(3, dtype="float32")
    keras_mm.metrics.caption_recall_at_k(e, e, ["a cat", "a dog", "a cat"])
    ```
    """
    first, groups = caption_groups(captions)
    image_embeddings = np.asarray(image_embeddings, np.float32)
    text_embeddings = np.asarray(text_embeddings, np.float32)
    if len(image_embeddings) != len(captions):
        raise ValueError(
            f"Need one caption per image. Received: {len(image_embeddings)} "
            f"image embeddings, {len(captions)} captions")
    if len(text_embeddings) == len(captions):
        text_embeddings = text_embeddings[first]
    elif len(text_embeddings) != len(first):
        raise ValueError(
            f"text_embeddings must have one row per caption ({len(captions)})"
            f" or per distinct caption ({len(first)}). Received: "
            f"{len(text_embeddings)} rows")
    return recall_at_k(image_embeddings, text_embeddings, groups,
                       np.arange(len(first)), ks)


def recall_drop(reference, retrieval, k=1):
    """The larger loss of Recall@`k`, over both directions, of `retrieval`
    against `reference` (both `recall_at_k` reports).

    Example:
    ```python
    keras_mm.metrics.recall_drop(
        {"image_to_text": {"R@1": 0.9}, "text_to_image": {"R@1": 0.8}},
        {"image_to_text": {"R@1": 0.88}, "text_to_image": {"R@1": 0.81}})
    # ≈0.02
    ```
    """
    key = f"R@{k}"
    return float(max(reference[d][key] - retrieval[d][key]
                     for d in reference))
