"""Corpus BLEU: our wrapper gives sacrebleu's numbers in [0, 1]."""

import pytest

from keras_mm.metrics.bleu import corpus_bleu
from keras_mm.metrics.bleu import tokenize_13a

sacrebleu = pytest.importorskip("sacrebleu")


def _sacrebleu(hyps, refs_per_stream, order, smooth, value=None):
    metric = sacrebleu.metrics.BLEU(max_ngram_order=order,
                                    smooth_method=smooth, smooth_value=value)
    return metric.corpus_score(hyps, refs_per_stream)


def test_enough_pairs(sentence_pairs):
    assert len(sentence_pairs) >= 50


def test_tokenizer_matches_sacrebleu_13a(sentence_pairs):
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    reference = Tokenizer13a()
    for hyp, ref in sentence_pairs:
        for text in (hyp, ref):
            assert tokenize_13a(text) == reference(text).split()


@pytest.mark.parametrize("smooth, value", [
    ("none", None), ("exp", None), ("floor", None), ("floor", 0.3),
    ("add-k", None), ("add-k", 0.5),
])
def test_bleu_1_to_4_match_sacrebleu(sentence_pairs, smooth, value):
    hyps = [h for h, _ in sentence_pairs]
    refs = [r for _, r in sentence_pairs]
    ours = corpus_bleu(hyps, refs, smooth=smooth, smooth_value=value)
    for order in range(1, 5):
        theirs = _sacrebleu(hyps, [refs], order, smooth, value)
        # sacrebleu reports 0–100; ours is in [0, 1].
        assert abs(100 * ours[f"bleu_{order}"] - theirs.score) < 1e-4
    assert ours["brevity_penalty"] == pytest.approx(theirs.bp, abs=1e-12)
    assert ours["hypothesis_length"] == theirs.sys_len
    assert ours["reference_length"] == theirs.ref_len


def test_brevity_penalty_and_multiple_references(sentence_pairs):
    # Short hypotheses are penalized; the closest reference length counts.
    hyps = [" ".join(h.split()[:3]) for h, _ in sentence_pairs[12:]]
    refs_a = [r for _, r in sentence_pairs[12:]]
    refs_b = [" ".join(r.split()[:4]) for r in refs_a]
    ours = corpus_bleu(hyps, list(zip(refs_a, refs_b)), smooth="exp")
    theirs = _sacrebleu(hyps, [refs_a, refs_b], 4, "exp")
    assert abs(100 * ours["bleu_4"] - theirs.score) < 1e-4
    assert ours["brevity_penalty"] < 1.0
    assert ours["brevity_penalty"] == pytest.approx(theirs.bp, abs=1e-12)


def test_short_corpus_edge_cases():
    # No 4-gram at all: unsmoothed BLEU-4 is 0, BLEU-1 is not; smoothing
    # gives a positive value, as in sacrebleu.
    hyps, refs = ["a red circle"], ["a red circle"]
    plain = corpus_bleu(hyps, refs)
    # sacrebleu's exp-of-log-mean leaves a last-bit error on 1.0.
    assert plain["bleu_1"] == pytest.approx(1.0) and plain["bleu_4"] == 0.0
    assert plain["bleu_3"] == pytest.approx(1.0)
    for smooth in ("exp", "floor", "add-k"):
        theirs = _sacrebleu(hyps, [refs], 4, smooth)
        ours = corpus_bleu(hyps, refs, smooth=smooth)["bleu_4"]
        assert abs(100 * ours - theirs.score) < 1e-4
    assert corpus_bleu([""], ["x y"])["bleu_1"] == 0.0


def test_keras_hub_bleu_agrees_without_smoothing(sentence_pairs):
    # keras-hub's Bleu also replicates sacrebleu's 13a tokenizer; without
    # smoothing and with one reference it gives the same corpus score.
    keras_hub = pytest.importorskip("keras_hub")
    hyps = [h for h, _ in sentence_pairs if h]
    refs = [r for h, r in sentence_pairs if h]
    metric = keras_hub.metrics.Bleu(max_order=4)
    metric.update_state([[r] for r in refs], hyps)
    ours = corpus_bleu(hyps, refs)["bleu_4"]
    assert abs(float(metric.result()) - ours) < 1e-5


def test_keras_hub_smoothing_is_not_sacrebleu_add_k():
    # The documented difference: keras-hub's `smooth=True` adds 1 to the
    # unigram counts too (Lin & Och); sacrebleu's and our "add-k" leave
    # unigrams alone (Chen & Cherry method 2).
    keras_hub = pytest.importorskip("keras_hub")
    hyps, refs = ["a big red circle here"], ["a red circle in the top left"]
    metric = keras_hub.metrics.Bleu(max_order=4, smooth=True)
    metric.update_state([[r] for r in refs], hyps)
    ours = corpus_bleu(hyps, refs, smooth="add-k")
    theirs = _sacrebleu(hyps, [refs], 4, "add-k")
    assert abs(100 * ours["bleu_4"] - theirs.score) < 1e-4
    assert abs(float(metric.result()) - ours["bleu_4"]) > 1e-3


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="smooth must be one of"):
        corpus_bleu(["a"], ["a"], smooth="laplace")
    with pytest.raises(ValueError, match="same length"):
        corpus_bleu(["a", "b"], ["a"])
