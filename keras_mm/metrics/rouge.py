"""ROUGE-1/2/L (precision, recall, F1) averaged over sentence pairs."""

import collections
import re

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def rouge_tokenize(text):
    """Lowercases and keeps runs of ASCII letters and digits as tokens."""
    return _NOT_ALNUM.sub(" ", text.lower()).split()


def _ngrams(tokens, n):
    return collections.Counter(
        tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)
    )


def _lcs_length(a, b):
    # One row of the dynamic programme at a time: O(len(a) * len(b)).
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y
                           else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _prf(overlap, predicted, reference):
    precision = overlap / predicted if predicted else 0.0
    recall = overlap / reference if reference else 0.0
    total = precision + recall
    f1 = 2 * precision * recall / total if total else 0.0
    return precision, recall, f1


def rouge_pair(prediction, reference, orders=(1, 2)):
    """ROUGE-N for each N in `orders` and ROUGE-L of one pair of strings.

    Returns:
        `{"rouge1": (precision, recall, f1), …, "rougeL": (…)}`.
    """
    pred = rouge_tokenize(prediction)
    ref = rouge_tokenize(reference)
    scores = {}
    for n in orders:
        p, r = _ngrams(pred, n), _ngrams(ref, n)
        overlap = sum((p & r).values())
        scores[f"rouge{n}"] = _prf(overlap, sum(p.values()), sum(r.values()))
    scores["rougeL"] = _prf(_lcs_length(pred, ref), len(pred), len(ref))
    return scores


def rouge_scores(predictions, references, orders=(1, 2)):
    """ROUGE-1, ROUGE-2 and ROUGE-L, each averaged over the pairs.

    Tokens are lowercased runs of `[a-z0-9]` with no stemming, as
    `rouge_score.rouge_scorer.RougeScorer(use_stemmer=False)` tokenizes.
    ROUGE-L is the sentence-level LCS score (rouge-score's `"rougeL"`, not
    the summary-level `"rougeLsum"`). With several references per
    prediction, the reference with the best F1 counts (as `score_multi`).
    The corpus value is the plain mean over pairs; rouge-score's
    `BootstrapAggregator` reports a resampled estimate of that mean instead.

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
            f"length. Received: {len(predictions)} and {len(references)}"
        )
    keys = [f"rouge{n}" for n in orders] + ["rougeL"]
    totals = {key: [0.0, 0.0, 0.0] for key in keys}
    for prediction, refs in zip(predictions, references):
        per_reference = [rouge_pair(prediction, r, orders) for r in refs]
        for key in keys:
            best = max((s[key] for s in per_reference), key=lambda v: v[2])
            totals[key] = [t + v for t, v in zip(totals[key], best)]
    count = len(predictions)
    return {
        key: dict(zip(("precision", "recall", "f1"),
                      (v / count for v in totals[key])))
        for key in keys
    }
