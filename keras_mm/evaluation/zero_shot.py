"""Zero-shot classification: class names → prompts → text embeddings.

The classifier is open_clip's `build_zero_shot_classifier`: every class
name goes into every template, each prompt embedding is L2-normalised, a
class's prompts are averaged and the mean renormalised.
"""

import numpy as np

from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.metrics.cosine import l2_normalize
from keras_mm.metrics.top_k import top_k_accuracy

# open_clip's SIMPLE_IMAGENET_TEMPLATES (a short subset of OpenAI's 80
# ImageNet prompts, minus "a origami {}.") after the plain CLIP prompt.
DEFAULT_TEMPLATES = (
    "a photo of a {}.",
    "a bad photo of the {}.",
    "a photo of the large {}.",
    "a photo of the small {}.",
    "itap of a {}.",
    "art of the {}.",
    "a {} in a video game.",
)
LABEL_HINT = ("give each image a class: a label column in the manifest, or "
              "an image folder with one sub-folder per class")


def check_templates(templates):
    """The templates as a list; each must hold exactly one `{}`."""
    templates = [templates] if isinstance(templates, str) else list(templates)
    bad = [t for t in templates if not isinstance(t, str) or t.count("{}")
           != 1]
    if not templates or bad:
        raise ValueError("Every template needs one '{}' for the class name. "
                         f"Received: templates={bad or templates}")
    return templates


def prompt_name(label):
    """A class label as prompts read it: `golden_retriever` → `golden
    retriever` (folder names, as torchvision's ImageFolder gives them)."""
    return " ".join(str(label).replace("_", " ").split())


def class_embeddings(embed_texts, class_names, templates):
    """`(num_classes, D)` unit-norm class embeddings from prompts.

    Args:
        embed_texts: callable, list of str -> `(N, D)` embeddings.
        class_names: list of str, put into the templates as they are.
        templates: str templates with one `{}`.
    """
    templates = check_templates(templates)
    prompts = [t.format(name) for name in class_names for t in templates]
    embeddings = l2_normalize(np.asarray(embed_texts(prompts), "float32"))
    # (classes, templates, D) -> mean over templates -> renormalised.
    embeddings = embeddings.reshape(len(class_names), len(templates), -1)
    return l2_normalize(embeddings.mean(axis=1)).astype("float32")


def zero_shot_classifier(model, preprocessor, class_names,
                         templates=DEFAULT_TEMPLATES, batch_size=256):
    """One unit-norm text embedding per class, `(num_classes, D)`.

    Every class name is put in every template; the normalised embeddings
    of a class's prompts are averaged and renormalised (CLIP's prompt
    ensembling, as open_clip's `build_zero_shot_classifier`).

    Example:
    ```python
    weights = keras_mm.evaluation.zero_shot_classifier(
        model, preprocessor, ["circle", "square"], ["a red {}", "a {}"])
    ```
    """
    return class_embeddings(
        lambda texts: encode_texts(model, preprocessor, texts, batch_size),
        class_names, templates)


def confusion_matrix(labels, predictions, num_classes):
    """`(num_classes, num_classes)` counts; rows are true classes."""
    matrix = np.zeros((num_classes, num_classes), "int64")
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def scores_report(scores, labels, class_names, templates, ks=(1, 5)):
    """Top-k accuracies, per-class accuracy and the confusion matrix of
    `(N, num_classes)` scores against int `labels`."""
    labels = np.asarray(labels, "int64")
    predictions = np.argmax(scores, axis=1)
    report = {f"top{k}": top_k_accuracy(scores, labels, k) for k in ks}
    per_class = {}
    for index, name in enumerate(class_names):
        mine = labels == index
        per_class[str(name)] = {
            "images": int(mine.sum()),
            "top1": float(np.mean(predictions[mine] == index))
            if mine.any() else None,
        }
    report.update({
        "num_classes": len(class_names),
        "num_images": int(len(labels)),
        "templates": list(templates),
        "class_names": [str(name) for name in class_names],
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(
            labels, predictions, len(class_names)).tolist(),
        "predictions": predictions.tolist(),
    })
    return report


def zero_shot_evaluate(model, preprocessor, images, labels, class_names,
                       templates=DEFAULT_TEMPLATES, ks=(1, 5), batch_size=64):
    """Zero-shot top-k accuracy of a contrastive model on labelled images.

    Args:
        model: a contrastive model with `encode("image"|"text", inputs)`.
        preprocessor: the model's text preprocessor.
        images: `(N, H, W, 3)` values in [0, 255].
        labels: `(N,)` int indices into `class_names`.
        class_names: list of str.
        templates: prompt templates with one `{}`, e.g. `"a photo of a {}"`.
        ks: the k of the reported top-k accuracies (k ≥ the number of
            classes gives 1.0 and is still reported).

    Returns:
        `{"top1": …, "top5": …, "num_classes", "num_images", "templates",
        "class_names", "per_class", "confusion_matrix": list of lists,
        "predictions": list}`.

    Example:
    ```python
    report = keras_mm.evaluation.zero_shot_evaluate(
        model, preprocessor, images, labels, ["red circle", "blue square"],
        templates=["a {}", "a small {}"])
    report["top1"]
    ```
    """
    labels = np.asarray(labels, "int64")
    if len(labels) != len(images) or len(labels) == 0:
        raise ValueError("Need one label per image and at least one image. "
                         f"Received: {len(images)} images, "
                         f"{len(labels)} labels")
    templates = check_templates(templates)
    classifier = zero_shot_classifier(model, preprocessor, class_names,
                                      templates, batch_size)
    scores = encode_images(model, images, batch_size) @ classifier.T
    return scores_report(scores, labels, class_names, templates, ks)


def labelled_pairs(pairs, class_names=None):
    """The pairs that carry a class label, their int labels and the class
    names (sorted distinct labels unless `class_names` is given).

    Returns:
        `(indices, labels, class_names)`: `indices` into `pairs`.
    """
    indices, names = [], []
    for i, pair in enumerate(pairs):
        label = (pair.meta or {}).get("label")
        if label is not None and str(label).strip():
            indices.append(i)
            names.append(str(label).strip())
    if class_names is None:
        class_names = sorted(set(names))
    else:
        class_names = [str(name) for name in class_names]
        unknown = sorted(set(names) - set(class_names))
        if unknown:
            raise ValueError(f"Labels {unknown[:5]} are not among the class "
                             f"names {class_names[:10]}")
    lookup = {name: i for i, name in enumerate(class_names)}
    return (np.array(indices, "int64"),
            np.array([lookup[name] for name in names], "int64"), class_names)


def zero_shot_report(model, pairs, templates=None, class_names=None,
                     batch_size=64, ks=(1, 5), image_embeddings=None,
                     source="the data"):
    """Zero-shot classification of labelled image pairs by their classes.

    The classes are the distinct `pair.meta["label"]` values (an image
    folder's sub-folder names, or a manifest's label column, as
    `keras_mm.data.sources.read_pairs` gives them), put into prompts with
    `_` read as a space; pairs without a label are left out and counted.

    Args:
        model: an `EvaluationModel`, or a `ContrastiveModel` that carries
            its own preprocessors (`load_pretrained`, a self-contained
            `.keras`).
        pairs: list of `keras_mm.data.Pair` (image media).
        templates: prompt templates with one `{}`; default
            `DEFAULT_TEMPLATES`.
        class_names: optional list of the labels that are classes (default:
            the distinct labels found, sorted).
        batch_size: int.
        ks: the k of the top-k accuracies.
        image_embeddings: optional `(len(pairs), D)` embeddings of the
            pairs' images, when already computed.
        source: str. Names the data in errors.

    Returns:
        `{"top1", "top5", "num_classes", "num_images", "unlabelled",
        "templates", "class_names", "per_class": {name: {"images",
        "top1"}}, "confusion_matrix", "predictions"}`.

    Example:
    ```python
    pairs = keras_mm.data.sources.read_pairs("held_out/")  # class folders
    model = keras_mm.models.load_pretrained("clip_folder/")
    report = keras_mm.evaluation.zero_shot_report(model, pairs)
    report["top1"], report["top5"]
    ```
    """
    from keras_mm.evaluation.evaluation_model import EvaluationModel

    model = EvaluationModel.of(model)
    templates = check_templates(DEFAULT_TEMPLATES if templates is None
                                else templates)
    indices, labels, class_names = labelled_pairs(pairs, class_names)
    if not len(indices):
        raise ValueError(f"{source} has no class labels for zero-shot "
                         f"classification: {LABEL_HINT}")
    if image_embeddings is None:
        image_embeddings = model.embed_images(
            [pairs[i].media for i in indices], batch_size)
    else:
        image_embeddings = np.asarray(image_embeddings, "float32")[indices]
    classifier = class_embeddings(
        lambda texts: model.embed_texts(texts, batch_size),
        [prompt_name(name) for name in class_names], templates)
    report = scores_report(image_embeddings @ classifier.T, labels,
                           class_names, templates, ks)
    report["unlabelled"] = len(pairs) - len(indices)
    return report
