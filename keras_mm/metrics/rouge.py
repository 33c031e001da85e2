"""ROUGE-1/2/L (precision, recall, F1) averaged over sentence pairs: a
thin wrapper over rouge-score."""

from keras_mm.dependency_error import MissingDependencyError


def _scorer(orders):
    try:
        from rouge_score import rouge_scorer
    except ImportError as error:
        raise MissingDependencyError(
            "ROUGE needs rouge-score: pip install 'keras_mm[eval]'"
        ) from error
    keys = [f"rouge{n}" for n in orders] + ["rougeL"]
    return keys, rouge_scorer.RougeScorer(keys, use_stemmer=False)


def rouge_pair(prediction, reference, orders=(1, 2)):
    """ROUGE-N for each N in `orders` and ROUGE-L of one pair of strings.

    Returns:
        `{"rouge1": (precision, recall, f1), …, "rougeL": (…)}`.

    Example:
    ```python
    keras_mm.metrics.rouge.rouge_pair("the red circle", "a red circle")
    ```
    """
    keys, scorer = _scorer(orders)
    scores = scorer.score(reference, prediction)  # target first
    return {key: tuple(scores[key]) for key in keys}


def rouge_scores(predictions, references, orders=(1, 2)):
    """ROUGE-1, ROUGE-2 and ROUGE-L, each averaged over the pairs.

    Scored by `rouge_score.rouge_scorer.RougeScorer(use_stemmer=False)`:
    tokens are lowercased runs of `[a-z0-9]`; ROUGE-L is the
    sentence-level LCS score (`"rougeL"`, not `"rougeLsum"`). With several
    references per prediction the one with the best F1 counts
    (`score_multi`). The corpus value is the plain mean over pairs, not
    rouge-score's resampled `BootstrapAggregator` estimate.

    Args:
        predictions: list of str.
        references: list with one str or a list of str per prediction.
        orders: the N of ROUGE-N.

    Returns:
        `{"rouge1": {"precision", "recall", "f1"}, "rouge2": {…},
        "rougeL": {…}}`, each in [0, 1].

    Example:
    ```python
    keras_mm.metrics.rouge_scores(["a red circle"], ["a red square"])
    # {"rouge1": {"precision": 0.667, ...}, ...}
    ```

    References:
        Lin, "ROUGE: A Package for Automatic Evaluation of Summaries", 2004.
    """
    predictions = list(predictions)
    references = [[r] if isinstance(r, str) else list(r) for r in references]
    if len(predictions) != len(references) or not predictions:
        raise ValueError(
            "predictions and references must be non-empty and of the same "
            f"length. Received: {len(predictions)} and {len(references)}")
    keys, scorer = _scorer(orders)
    totals = {key: [0.0, 0.0, 0.0] for key in keys}
    for prediction, refs in zip(predictions, references):
        scores = scorer.score_multi(refs, prediction)
        for key in keys:
            totals[key] = [t + v for t, v in zip(totals[key], scores[key])]
    count = len(predictions)
    return {key: dict(zip(("precision", "recall", "f1"),
                          (v / count for v in totals[key])))
            for key in keys}
