"""Corpus BLEU with brevity penalty and the usual smoothing methods."""

import collections
import math
import re
import string

SMOOTHING_METHODS = ("none", "floor", "add-k", "exp")
DEFAULT_SMOOTH_VALUE = {"floor": 0.1, "add-k": 1.0}

# The "13a" tokenization of mteval-v13a.pl (the WMT default): split off
# punctuation and symbols, split "." and "," except inside numbers, and
# split "-" after a digit.
_HTML_ENTITIES = (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"),
                  ("&gt;", ">"))
# ASCII punctuation except the apostrophe, comma, hyphen and period, which
# the rules below treat by context.
_SYMBOLS = "".join(c for c in string.punctuation if c not in "',-.")
_SPLIT_RULES = (
    (re.compile("([" + re.escape(_SYMBOLS) + "])"), r" \1 "),
    (re.compile(r"([^0-9])([.,])"), r"\1 \2 "),  # "x." but not "3."
    (re.compile(r"([.,])([^0-9])"), r" \1 \2"),  # ".x" but not ".5"
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # "3-" splits
)


def tokenize_13a(text):
    """Splits `text` into tokens the way mteval-v13a (and sacrebleu) do."""
    text = text.replace("<skipped>", "").replace("-\n", "")
    text = text.replace("\n", " ")
    for entity, char in _HTML_ENTITIES:
        text = text.replace(entity, char)
    text = f" {text} "
    for pattern, replacement in _SPLIT_RULES:
        text = pattern.sub(replacement, text)
    return text.split()


TOKENIZERS = {"13a": tokenize_13a, "none": str.split}


def _ngram_counts(tokens, order):
    return collections.Counter(
        tuple(tokens[i:i + order]) for i in range(len(tokens) - order + 1)
    )


def _closest_length(length, reference_lengths):
    # The reference length nearest the hypothesis; the shorter one on ties.
    return min(reference_lengths, key=lambda r: (abs(r - length), r))


def bleu_statistics(hypotheses, references, max_order=4, tokenize="13a",
                    lowercase=False):
    """Sufficient statistics of corpus BLEU (summed over segments).

    Returns:
        `{"matches": [per order], "totals": [per order],
        "hypothesis_length": int, "reference_length": int}`.
    """
    if tokenize not in TOKENIZERS and not callable(tokenize):
        raise ValueError(f"tokenize must be one of {sorted(TOKENIZERS)} or a "
                         f"callable. Received: tokenize={tokenize!r}")
    split = TOKENIZERS.get(tokenize, tokenize)
    hypotheses = list(hypotheses)
    references = [[r] if isinstance(r, str) else list(r) for r in references]
    if len(hypotheses) != len(references):
        raise ValueError(
            "hypotheses and references must have the same length. Received: "
            f"{len(hypotheses)} and {len(references)}"
        )

    def prepare(text):
        return split(text.lower() if lowercase else text)

    matches = [0] * max_order
    totals = [0] * max_order
    hypothesis_length = reference_length = 0
    for hypothesis, refs in zip(hypotheses, references):
        hyp = prepare(hypothesis)
        refs = [prepare(r) for r in refs]
        hypothesis_length += len(hyp)
        reference_length += _closest_length(len(hyp), [len(r) for r in refs])
        for order in range(1, max_order + 1):
            hyp_counts = _ngram_counts(hyp, order)
            # Clip each n-gram by its largest count in any one reference.
            best = collections.Counter()
            for ref in refs:
                best |= _ngram_counts(ref, order)
            matches[order - 1] += sum((hyp_counts & best).values())
            totals[order - 1] += max(len(hyp) - order + 1, 0)
    return {"matches": matches, "totals": totals,
            "hypothesis_length": hypothesis_length,
            "reference_length": reference_length}


def bleu_from_statistics(stats, smooth="none", smooth_value=None):
    """BLEU in [0, 1] from `bleu_statistics`, with brevity penalty."""
    if smooth not in SMOOTHING_METHODS:
        raise ValueError(f"smooth must be one of {SMOOTHING_METHODS}. "
                         f"Received: smooth={smooth!r}")
    if smooth_value is None:
        smooth_value = DEFAULT_SMOOTH_VALUE.get(smooth, 0.0)
    matches = [float(m) for m in stats["matches"]]
    totals = [float(t) for t in stats["totals"]]
    hyp_len = stats["hypothesis_length"]
    ref_len = stats["reference_length"]
    if hyp_len == 0 or not any(matches):
        return {"bleu": 0.0, "precisions": [0.0] * len(matches),
                "brevity_penalty": 0.0 if hyp_len == 0 else 1.0}
    # Brevity penalty: exp(1 - r / c) when the hypotheses are shorter.
    penalty = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    precisions = []
    exp_denominator = 1.0
    for order, (m, t) in enumerate(zip(matches, totals), start=1):
        if smooth == "add-k" and order > 1:
            # Chen & Cherry method 2 (Lin & Och 2004 for k = 1): unigrams
            # are left alone.
            m, t = m + smooth_value, t + smooth_value
        if t == 0:
            precisions.append(0.0)
        elif m > 0:
            precisions.append(m / t)
        elif smooth == "exp":
            # Method 3 (NIST): 1 / (2^k * total) for the k-th zero order.
            exp_denominator *= 2.0
            precisions.append(1.0 / (exp_denominator * t))
        elif smooth == "floor":
            precisions.append(smooth_value / t)  # Method 1.
        else:
            precisions.append(0.0)
    if min(precisions) <= 0.0:
        score = 0.0
    else:
        score = penalty * math.exp(
            sum(math.log(p) for p in precisions) / len(precisions)
        )
    return {"bleu": score, "precisions": precisions,
            "brevity_penalty": penalty}


def corpus_bleu(hypotheses, references, max_order=4, smooth="none",
                smooth_value=None, tokenize="13a", lowercase=False):
    """Corpus BLEU-1 … BLEU-`max_order`, each in [0, 1].

    N-gram matches and lengths are summed over the corpus before the
    precisions are taken (corpus BLEU, not a mean of sentence BLEU). The
    brevity penalty uses, per segment, the reference length closest to the
    hypothesis length. BLEU-n is the geometric mean of the 1..n-gram
    precisions. With `tokenize="13a"` and a reference per hypothesis the
    result equals sacrebleu's `corpus_bleu(...).score / 100`.

    Args:
        hypotheses: list of str. The generated texts.
        references: list with one str or one list of str per hypothesis.
        max_order: int. Highest n-gram order.
        smooth: str. `"none"`, `"floor"` (zero precisions become
            `smooth_value / total`), `"add-k"` (add `smooth_value` to the
            matches and totals of orders ≥ 2) or `"exp"` (NIST: the k-th
            zero precision becomes `1 / (2^k total)`), after Chen & Cherry.
        smooth_value: float. Defaults to 0.1 (floor) and 1 (add-k).
        tokenize: `"13a"`, `"none"` (whitespace) or a callable str → list.
        lowercase: bool. Lowercase before tokenizing.

    Returns:
        `{"bleu_1": …, …, "bleu_{max_order}": …, "brevity_penalty": …,
        "precisions": [...], "hypothesis_length": …,
        "reference_length": …}`.

    Example:
    ```python
    keras_mm.metrics.corpus_bleu(["a red circle"], [["a red circle"]],
                                 smooth="exp")["bleu_4"]  # 1.0
    ```

    References:
        Papineni et al., "BLEU", 2002; Chen & Cherry, "A Systematic
        Comparison of Smoothing Techniques for Sentence-Level BLEU", 2014.
    """
    stats = bleu_statistics(hypotheses, references, max_order, tokenize,
                            lowercase)
    report = {}
    for order in range(1, max_order + 1):
        partial = {**stats, "matches": stats["matches"][:order],
                   "totals": stats["totals"][:order]}
        result = bleu_from_statistics(partial, smooth, smooth_value)
        report[f"bleu_{order}"] = result["bleu"]
    report["brevity_penalty"] = result["brevity_penalty"]
    report["precisions"] = result["precisions"]
    report["hypothesis_length"] = stats["hypothesis_length"]
    report["reference_length"] = stats["reference_length"]
    return report
