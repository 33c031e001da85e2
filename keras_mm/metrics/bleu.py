"""Corpus BLEU-1 … BLEU-n: a thin wrapper over sacrebleu."""

from keras_mm.dependency_error import MissingDependencyError

SMOOTHING_METHODS = ("none", "floor", "add-k", "exp")


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError as error:
        raise MissingDependencyError(
            "BLEU needs sacrebleu: pip install 'keras_mm[eval]'") from error
    return sacrebleu


def tokenize_13a(text):
    """Splits `text` into tokens as mteval-v13a (sacrebleu's default) does.

    Example:
    ```python
    keras_mm.metrics.tokenize_13a("It costs $3.50.")
    # ["It", "costs", "$", "3.50", "."]
    ```
    """
    _sacrebleu()
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(text).split()


def _reference_streams(references):
    # sacrebleu takes one stream per reference slot; None pads the
    # segments that have fewer references.
    references = [[r] if isinstance(r, str) else list(r) for r in references]
    slots = max((len(r) for r in references), default=1)
    return [[refs[i] if i < len(refs) else None for refs in references]
            for i in range(slots)]


def corpus_bleu(hypotheses, references, max_order=4, smooth="none",
                smooth_value=None, tokenize="13a", lowercase=False):
    """Corpus BLEU-1 … BLEU-`max_order`, each in [0, 1] (sacrebleu's
    `corpus_score` divided by 100).

    N-gram matches and lengths are summed over the corpus before the
    precisions are taken (corpus BLEU, not a mean of sentence BLEU); the
    brevity penalty uses, per segment, the reference length closest to the
    hypothesis length. BLEU-n is the geometric mean of the 1..n-gram
    precisions.

    Args:
        hypotheses: list of str. The generated texts.
        references: list with one str or one list of str per hypothesis.
        max_order: int. Highest n-gram order.
        smooth: str. `"none"`, `"floor"`, `"add-k"` or `"exp"`
            (sacrebleu's smoothing methods, after Chen & Cherry).
        smooth_value: float. Defaults to 0.1 (floor) and 1 (add-k).
        tokenize: `"13a"`, `"none"` (whitespace), another sacrebleu
            tokenizer name, or a callable str → list of tokens.
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
        Papineni et al., "BLEU", 2002; Post, "A Call for Clarity in
        Reporting BLEU Scores", 2018 (sacrebleu).
    """
    sacrebleu = _sacrebleu()
    if smooth not in SMOOTHING_METHODS:
        raise ValueError(f"smooth must be one of {SMOOTHING_METHODS}. "
                         f"Received: smooth={smooth!r}")
    hypotheses = list(hypotheses)
    references = list(references)
    if len(hypotheses) != len(references):
        raise ValueError(
            "hypotheses and references must have the same length. Received: "
            f"{len(hypotheses)} and {len(references)}")
    streams = _reference_streams(references)
    if callable(tokenize):
        # Tokenized here, then split on the spaces joined in.
        def split(text):
            return None if text is None else " ".join(tokenize(text))

        hypotheses = [split(h) for h in hypotheses]
        streams = [[split(r) for r in stream] for stream in streams]
        tokenize = "none"
    report = {}
    for order in range(1, max_order + 1):
        # One score per order: sacrebleu's add-k smoothing edits the
        # returned counts in place, so they cannot be reused.
        metric = sacrebleu.metrics.BLEU(
            max_ngram_order=order, smooth_method=smooth,
            smooth_value=smooth_value, tokenize=tokenize,
            lowercase=lowercase)
        stats = metric.corpus_score(hypotheses, streams)
        report[f"bleu_{order}"] = stats.score / 100
    report["brevity_penalty"] = stats.bp
    report["precisions"] = [p / 100 for p in stats.precisions]
    report["hypothesis_length"] = stats.sys_len
    report["reference_length"] = stats.ref_len
    return report
