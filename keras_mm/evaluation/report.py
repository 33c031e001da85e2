"""The evaluation behind `keras-mm eval`: a JSON report, PNG figures and
one `report.html` gathering them."""

import json
import os
import time
import warnings

import numpy as np

from keras_mm import backend
from keras_mm.evaluation import figures
from keras_mm.evaluation.attention import attention_heatmaps
from keras_mm.evaluation.eval_data import InMemoryPairs
from keras_mm.evaluation.eval_data import read_eval_pairs
from keras_mm.evaluation.evaluation_model import EvaluationModel
from keras_mm.evaluation.evaluation_model import model_file
from keras_mm.evaluation.report_html import write_report_html
from keras_mm.evaluation.retrieval_report import embed_pairs
from keras_mm.evaluation.training_logs import find_training_logs
from keras_mm.evaluation.training_logs import read_training_logs
from keras_mm.evaluation.zero_shot import check_templates
from keras_mm.evaluation.zero_shot import zero_shot_report
from keras_mm.metrics.bleu import corpus_bleu
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.rouge import rouge_scores


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _own_notes(caught):
    """The messages of the warnings keras_mm raised (e.g. truncated
    captions); others (a library's deprecation notes) go back to Python's
    filters instead of into the report."""
    notes = []
    for w in caught:
        ours = (w.category.__module__.startswith("keras_mm")
                or os.path.abspath(w.filename).startswith(_PACKAGE_DIR
                                                          + os.sep))
        if ours:
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename,
                                   w.lineno)
    return notes


def _top(queries, candidates, k=5, block_size=1024):
    """`(Q, k)` best candidates per query, a block of queries at a time.

    Stable descending order: equal scores keep the candidates' order.
    """
    rows = [np.argsort(-(queries[i:i + block_size] @ candidates.T), axis=1,
                       kind="stable")[:, :k]
            for i in range(0, len(queries), block_size)]
    return np.concatenate(rows)


class _LazyPixels:
    """`pixels[i]` decodes pair i's image on first use (figures show a
    few images; the data may not fit in memory)."""

    def __init__(self, model, pairs):
        self.model, self.pairs, self.cache = model, pairs, {}

    def __getitem__(self, i):
        i = int(i)
        if i not in self.cache:
            self.cache[i] = self.model.pixels([self.pairs[i].media])[0]
        return self.cache[i]


def _load_data(data, model, num_samples, seed, data_options):
    """`(pairs, the data's own zero-shot task or None, skipped counts)`."""
    if isinstance(data, InMemoryPairs):
        return data.pairs_for(model.image_size[0]), data.task(), {}
    pairs, skipped = read_eval_pairs(data, num_samples, seed, **data_options)
    if len(pairs) < 2:
        raise ValueError(f"{data} holds {len(pairs)} usable pair(s); "
                         "retrieval needs at least 2")
    return pairs, None, skipped


def evaluate_model(model, data, out_dir="eval_out", zero_shot_data=None,
                   templates=None, vocabulary=None, logs=None,
                   num_samples=None, seed=0, batch_size=64,
                   num_figure_items=4, **data_options):
    """Evaluates a contrastive model; writes `report.json`, PNGs and
    `report.html` (the numbers and every figure, embedded, in one page).

    Retrieval (Recall@1/5/10 both ways, identical captions merged, see
    `keras_mm.metrics.caption_recall_at_k`), captioning by retrieval
    (BLEU, ROUGE), zero-shot classification with the data's own classes
    and figures.

    Args:
        model: a `.keras` file, a run folder holding `model.keras`, a
            checkpoint `load_pretrained` reads, or an `EvaluationModel` / a
            `ContrastiveModel` with preprocessors.
        data: image–caption pairs: a CSV/TSV/JSONL manifest, COCO captions
            JSON, an image folder (one sub-folder per class) or WebDataset
            shards (`keras_mm.data.sources.read_pairs`); or an
            `InMemoryPairs` with its own zero-shot classes.
        out_dir: folder for `report.json` and the figures.
        zero_shot_data: optional labelled images for zero-shot (an image
            folder of class sub-folders, or a manifest with a label
            column, or an `InMemoryPairs`); default: `data` when its
            pairs have labels.
        templates: prompt templates with one `{}` (default
            `keras_mm.evaluation.zero_shot.DEFAULT_TEMPLATES`).
        vocabulary: the `vocab.txt` of a model without its own tokenizer;
            defaults to the one beside the model.
        logs: a training log (CSV, JSON or JSON lines); defaults to a known
            log file beside the model. Without one, no training-curve figure.
        num_samples: evaluate on this many pairs drawn at random (seeded)
            from each data source on disk (None: all).
        **data_options: column names for `read_pairs`: `media_key`,
            `caption_key`, `label_key`, `separator`.

    Returns:
        The report dict (also written to `out_dir/report.json`).

    Example:
    ```python
    report = keras_mm.evaluation.evaluate_model(
        "run/model.keras", "val.csv", "eval_out",
        zero_shot_data="held_out_images/")
    report["retrieval"]["image_to_text"]["R@5"], report["zero_shot"]["top1"]
    ```
    """
    start = time.perf_counter()
    if templates is not None:
        templates = check_templates(templates)
    model_path = model_file(model) if isinstance(model, str) else None
    if model_path:
        model = EvaluationModel.load(model_path, vocabulary)
    else:
        model = EvaluationModel.of(model)
    pairs, data_task, skipped = _load_data(data, model, num_samples, seed,
                                           data_options)
    # Reports name in-memory data by its name.
    data = str(data)
    zero_shot_name = None if zero_shot_data is None else str(zero_shot_data)
    os.makedirs(out_dir, exist_ok=True)
    notes = [f"{data}: skipped {count} pair(s): {reason}"
             for reason, count in skipped.items()]

    # === Retrieval ===
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        embedded = embed_pairs(model, pairs, batch_size)
    notes.extend(_own_notes(caught))
    captions, distinct, groups = (embedded.captions, embedded.distinct,
                                  embedded.groups)
    retrieval = caption_recall_at_k(embedded.images, embedded.texts,
                                    captions)
    n = num_figure_items
    # (pairs, 20) captions: room for the figure to skip captions that read
    # the same once shortened.
    i2t = _top(embedded.images, embedded.texts, k=20)
    t2i = _top(embedded.texts[:n], embedded.images)  # (n, 5) images
    i2t_correct = i2t == groups[:, None]
    t2i_correct = groups[t2i] == np.arange(len(t2i))[:, None]

    # === Captioning by retrieval: BLEU / ROUGE of the top-1 caption ===
    hypotheses = [distinct[i] for i in i2t[:, 0]]
    bleu = corpus_bleu(hypotheses, captions, smooth="exp")
    caption_report = {
        "bleu": {k: v for k, v in bleu.items() if k.startswith("bleu_")},
        "brevity_penalty": bleu["brevity_penalty"],
        "rouge": rouge_scores(hypotheses, captions),
    }

    # === Zero-shot ===
    zero_shot, zero_shot_source = None, None
    if zero_shot_data is not None:
        zero_shot_pairs, task, zero_skipped = _load_data(
            zero_shot_data, model, num_samples, seed, data_options)
        notes.extend(f"{zero_shot_name}: skipped {count} pair(s): {reason}"
                     for reason, count in zero_skipped.items())
        zero_shot = zero_shot_report(
            model, zero_shot_pairs,
            templates or (task or {}).get("templates"),
            (task or {}).get("class_names"), batch_size,
            source=zero_shot_name)
        zero_shot_source = zero_shot_name
    elif any((pair.meta or {}).get("label") is not None for pair in pairs):
        zero_shot = zero_shot_report(
            model, pairs, templates or (data_task or {}).get("templates"),
            (data_task or {}).get("class_names"), batch_size,
            image_embeddings=embedded.images, source=data)
        zero_shot_source = data
    else:
        notes.append(
            f"zero-shot skipped: {data} has no class labels; give "
            "--label-key COLUMN (a column of class names in the manifest) "
            "or --zero-shot-data DIR (an image folder with one sub-folder "
            "of images per class)")

    # === Figures ===
    paths = {}

    def out(name):
        paths[name.split(".")[0]] = os.path.join(out_dir, name)
        return paths[name.split(".")[0]]

    pixels = _LazyPixels(model, pairs)
    figures.plot_image_to_text(out("retrieval_image_to_text.png"), pixels,
                               distinct, i2t[:n], i2t_correct[:n], n,
                               true_captions=captions[:n])
    figures.plot_text_to_image(out("retrieval_text_to_image.png"), pixels,
                               distinct, t2i[:n], t2i_correct[:n], n)
    shown = np.stack([pixels[i] for i in range(min(max(n, 6),
                                                    len(pairs)))])
    try:
        heatmaps = attention_heatmaps(model.model.encoders["image"], shown)
    except (AttributeError, ValueError, TypeError) as error:
        notes.append(f"no attention maps: {error}")
    else:
        figures.plot_attention_maps(out("attention_maps.png"), shown,
                                    heatmaps, captions[:len(shown)])
    if zero_shot is not None:
        figures.plot_confusion_matrix(
            out("zero_shot_confusion.png"), zero_shot["confusion_matrix"],
            zero_shot["class_names"],
            f"zero-shot: top-1 {zero_shot['top1']:.2f}, "
            f"top-5 {zero_shot['top5']:.2f} "
            f"({zero_shot['num_images']} images)")
    model_dir = (os.path.dirname(os.path.abspath(model_path))
                 if model_path else None)
    logs = logs or (find_training_logs(model_dir) if model_dir else None)
    if logs:
        figures.plot_training_curves(out("training_curves.png"),
                                     read_training_logs(logs))
    elif model_path:
        notes.append(f"no training log found beside {model_path}: no "
                     "training curves (pass --logs)")

    report = {
        "backend": backend.name(),
        "model": os.path.abspath(model_path) if model_path else None,
        "vocabulary": model.vocabulary,
        "preprocessing": model.describe(),
        "data": {"name": data, "pairs": len(captions),
                 "distinct_captions": len(distinct),
                 "skipped": sum(skipped.values())},
        "retrieval": retrieval,
        "zero_shot": None if zero_shot is None else {
            "data": zero_shot_source,
            **{k: v for k, v in zero_shot.items() if k != "predictions"}},
        "caption_by_retrieval": caption_report,
        "training_log": os.path.abspath(logs) if logs else None,
        "figures": {k: os.path.basename(v) for k, v in paths.items()},
        "html": "report.html",
        "notes": notes,
        "seconds": time.perf_counter() - start,
    }
    _write_json(os.path.join(out_dir, "report.json"), report)
    write_report_html(os.path.join(out_dir, "report.html"), report, out_dir)
    return report


def _write_json(path, value):
    # A failed write never replaces a good report.
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(temporary, path)
