"""The evaluation behind `keras-mm eval`: a JSON report and PNG figures."""

import json
import os
import time
import warnings

import numpy as np

from keras_mm.evaluation import figures
from keras_mm.evaluation.attention import attention_heatmaps
from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.training_logs import find_training_logs
from keras_mm.evaluation.training_logs import read_training_logs
from keras_mm.evaluation.zero_shot import zero_shot_evaluate
from keras_mm.metrics.bleu import corpus_bleu
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.rouge import rouge_scores

# Seeds of the built-in splits, as `keras_mm.quickstart` draws them.
BUILTIN_SPLITS = {"train": 0, "validation": 1, "test": 2}


def load_eval_data(spec, image_size, num_samples=64, seed=0):
    """Image–caption pairs named by `spec`.

    `"builtin"` or `"builtin:<split>"` (train, validation, test; default
    test) draws `num_samples` pairs of the quickstart's built-in split with
    the same seed, so `builtin:test` is the quickstart's test set. A path
    to a CSV, TSV or JSONL manifest (`image` and `caption` columns, image
    paths relative to the manifest) reads its first `num_samples` rows, or
    every row when `num_samples` is None; images are resized to
    `image_size`.
    """
    name, _, split = spec.partition(":")
    if name == "builtin":
        split = split or "test"
        if split not in BUILTIN_SPLITS:
            raise ValueError(
                f"Unknown built-in split {split!r}; use one of "
                f"{sorted(BUILTIN_SPLITS)}, e.g. builtin:test"
            )
        from keras_mm.datasets.shapes import make_image_text_pairs

        pairs = make_image_text_pairs(
            num_samples or 64, image_size,
            seed=seed * 10 + BUILTIN_SPLITS[split]
        )
        pairs["name"] = f"builtin:{split}"
        return pairs
    if not os.path.exists(spec):
        raise FileNotFoundError(f"No data at {spec}")
    from keras_mm.data.manifest import read_manifest
    from keras_mm.data.media import decode_image

    extension = os.path.splitext(spec)[1].lower()
    if os.path.isdir(spec) or extension not in (".csv", ".tsv", ".jsonl"):
        raise ValueError(
            f"Cannot evaluate on {spec}: expected builtin[:split] or a "
            ".csv, .tsv or .jsonl manifest with image and caption columns"
        )
    rows = read_manifest(spec)[:num_samples]
    if len(rows) < 2:
        raise ValueError(f"{spec} holds {len(rows)} pair(s); retrieval "
                         "needs at least 2")
    images = np.stack([decode_image(row.media, image_size, source=spec)
                       for row in rows])
    return {"images": images, "captions": [row.text for row in rows],
            "name": spec}


def builtin_zero_shot_task(objects):
    """Single-shape images labelled "<colour> <shape>" (24 classes) and
    prompts over every size and grid cell of the built-in captions."""
    from keras_mm.datasets import shapes

    class_names = [f"{c} {s}" for c in shapes.COLORS for s in shapes.SHAPES]
    indices, labels = [], []
    for i, scene in enumerate(objects):
        if len(scene) == 1:
            indices.append(i)
            labels.append(class_names.index(
                f"{scene[0]['color']} {scene[0]['shape']}"))
    templates = [f"a {size} {{}} in the {cell}"
                 for size in shapes.SIZES for cell in shapes.CELLS]
    return np.array(indices, "int64"), np.array(labels), class_names, templates


def _top(similarity, k=5):
    # Stable descending order: equal scores keep the candidates' order.
    return np.argsort(-similarity, axis=1, kind="stable")[:, :k]


def evaluate_model(model_path, data="builtin:test", out_dir="eval_out",
                   vocabulary=None, logs=None, num_samples=64, seed=0,
                   batch_size=64, num_figure_items=4):
    """Evaluates a saved contrastive model and writes `report.json` + PNGs.

    Args:
        model_path: a `.keras` file of a `keras_mm.tasks.ContrastiveModel`
            with `"image"` and `"text"` encoders.
        data: `"builtin"`, `"builtin:<split>"` or a CSV/TSV/JSONL
            manifest path.
        out_dir: folder for `report.json` and the figures.
        vocabulary: the `vocab.txt` the model was trained with; defaults to
            the one beside the model.
        logs: a training log (CSV, JSON or JSON lines); defaults to a known
            log file beside the model. Without one, no training-curve figure.
        num_samples: pairs to draw from a built-in split, or the first
            rows of a manifest (None: every row).

    Returns:
        The report dict (also written to `out_dir/report.json`).

    Example:
    ```python
    report = keras_mm.evaluation.evaluate_model(
        "quickstart_out/model.keras", "builtin:test", "eval_out")
    report["retrieval"]["image_to_text"]["R@5"]
    ```
    """
    import keras

    import keras_mm
    from keras_mm.data.text_preprocessor import TextPreprocessor

    start = time.perf_counter()
    if not os.path.exists(model_path):
        raise FileNotFoundError(f"No model at {model_path}")
    model_dir = os.path.dirname(os.path.abspath(model_path))
    vocabulary = vocabulary or os.path.join(model_dir, "vocab.txt")
    if not os.path.exists(vocabulary):
        raise FileNotFoundError(
            f"No vocabulary at {vocabulary} (a model must be evaluated with "
            "the vocab.txt it was trained with)"
        )
    model = keras_mm.load_model(model_path, compile=False)
    encoders = getattr(model, "encoders", {})
    if not {"image", "text"} <= set(encoders):
        raise ValueError(f"{model_path} is not an image–text contrastive "
                         "model (needs 'image' and 'text' encoders)")
    image_encoder, text_encoder = encoders["image"], encoders["text"]
    preprocessor = TextPreprocessor.from_vocabulary_file(
        vocabulary, sequence_length=text_encoder.sequence_length
    )
    pairs = load_eval_data(data, image_encoder.image_size, num_samples, seed)
    images, captions = pairs["images"], pairs["captions"]
    os.makedirs(out_dir, exist_ok=True)
    notes = []

    # === Retrieval ===
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image_embeddings = encode_images(model, images, batch_size)
        text_embeddings = encode_texts(model, preprocessor, captions,
                                       batch_size)
    notes.extend(str(w.message) for w in caught)
    retrieval = recall_at_k(image_embeddings, text_embeddings, captions,
                            captions)
    similarity = image_embeddings @ text_embeddings.T  # (images, texts)
    labels = np.array(captions, dtype=object)
    i2t = _top(similarity)
    t2i = _top(similarity.T)
    i2t_correct = labels[i2t] == labels[:, None]
    t2i_correct = labels[t2i] == labels[:, None]

    # === Captioning by retrieval: BLEU / ROUGE of the top-1 caption ===
    hypotheses = [captions[i] for i in i2t[:, 0]]
    bleu = corpus_bleu(hypotheses, captions, smooth="exp")
    caption_report = {
        "bleu": {k: v for k, v in bleu.items() if k.startswith("bleu_")},
        "brevity_penalty": bleu["brevity_penalty"],
        "rouge": rouge_scores(hypotheses, captions),
    }

    # === Zero-shot ===
    zero_shot = None
    if "objects" in pairs:
        index, targets, class_names, templates = builtin_zero_shot_task(
            pairs["objects"])
        if len(index):
            zero_shot = zero_shot_evaluate(
                model, preprocessor, images[index], targets, class_names,
                templates, batch_size=batch_size)
    else:
        notes.append("zero-shot skipped: the data has no class labels")

    # === Figures ===
    paths = {}

    def out(name):
        paths[name.split(".")[0]] = os.path.join(out_dir, name)
        return paths[name.split(".")[0]]

    n = num_figure_items
    figures.plot_image_to_text(out("retrieval_image_to_text.png"), images,
                               captions, i2t[:n], i2t_correct[:n], n)
    figures.plot_text_to_image(out("retrieval_text_to_image.png"), images,
                               captions, t2i[:n], t2i_correct[:n], n)
    shown = images[:max(n, 6)]
    figures.plot_attention_maps(out("attention_maps.png"), shown,
                                attention_heatmaps(image_encoder, shown),
                                captions[:len(shown)])
    if zero_shot is not None:
        figures.plot_confusion_matrix(
            out("zero_shot_confusion.png"), zero_shot["confusion_matrix"],
            zero_shot["class_names"],
            f"zero-shot: top-1 {zero_shot['top1']:.2f}, "
            f"top-5 {zero_shot['top5']:.2f} "
            f"({zero_shot['num_images']} images)")
    logs = logs or find_training_logs(model_dir)
    if logs:
        figures.plot_training_curves(out("training_curves.png"),
                                     read_training_logs(logs))
    else:
        notes.append(f"no training log found beside {model_path}: no "
                     "training curves (pass --logs)")

    report = {
        "backend": keras.config.backend(),
        "model": os.path.abspath(model_path),
        "vocabulary": os.path.abspath(vocabulary),
        "data": {"name": pairs.get("name", data), "pairs": len(captions)},
        "retrieval": retrieval,
        "zero_shot": None if zero_shot is None else {
            k: v for k, v in zero_shot.items() if k != "predictions"},
        "caption_by_retrieval": caption_report,
        "training_log": os.path.abspath(logs) if logs else None,
        "figures": {k: os.path.basename(v) for k, v in paths.items()},
        "notes": notes,
        "seconds": time.perf_counter() - start,
    }
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    return report
