"""ROUGE-1/2/L: our wrapper gives rouge-score's numbers, averaged."""

import pytest

from keras_mm.metrics.rouge import rouge_pair
from keras_mm.metrics.rouge import rouge_scores

rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
KEYS = ("rouge1", "rouge2", "rougeL")


@pytest.fixture(scope="module")
def scorer():
    return rouge_scorer.RougeScorer(list(KEYS), use_stemmer=False)


def test_each_pair_matches_rouge_score(sentence_pairs, scorer):
    assert len(sentence_pairs) >= 50
    for hyp, ref in sentence_pairs:
        ours = rouge_pair(hyp, ref)
        theirs = scorer.score(ref, hyp)  # rouge-score takes target first.
        for key in KEYS:
            t = theirs[key]
            for a, b in zip(ours[key], (t.precision, t.recall, t.fmeasure)):
                assert abs(a - b) < 1e-4, (hyp, ref, key)


def test_corpus_mean_matches_mean_of_rouge_score(sentence_pairs, scorer):
    hyps = [h for h, _ in sentence_pairs]
    refs = [r for _, r in sentence_pairs]
    ours = rouge_scores(hyps, refs)
    scores = [scorer.score(r, h) for h, r in sentence_pairs]
    for key in KEYS:
        for name, attr in (("precision", "precision"), ("recall", "recall"),
                           ("f1", "fmeasure")):
            mean = sum(getattr(s[key], attr) for s in scores) / len(scores)
            assert abs(ours[key][name] - mean) < 1e-4


def test_multiple_references_take_best_f1(sentence_pairs, scorer):
    pairs = sentence_pairs[12:40]
    hyps = [h for h, _ in pairs]
    refs = [(r, " ".join(r.split()[::-1])) for _, r in pairs]
    ours = rouge_scores(hyps, refs)
    scores = [scorer.score_multi(list(r), h) for h, r in zip(hyps, refs)]
    for key in KEYS:
        mean = sum(s[key].fmeasure for s in scores) / len(scores)
        assert abs(ours[key]["f1"] - mean) < 1e-4


def test_known_values():
    scores = rouge_scores(["the red circle"], ["a red circle"])
    assert scores["rouge1"]["f1"] == pytest.approx(2 / 3)
    assert scores["rouge2"]["f1"] == pytest.approx(0.5)
    assert scores["rougeL"]["f1"] == pytest.approx(2 / 3)
    empty = rouge_scores([""], ["a red circle"])
    assert empty["rougeL"]["f1"] == 0.0
