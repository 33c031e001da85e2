"""Zero-shot classification: class names → prompts → text embeddings."""

import numpy as np

from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.metrics.cosine import l2_normalize
from keras_mm.metrics.top_k import top_k_accuracy

DEFAULT_TEMPLATES = ("a photo of a {}",)


def zero_shot_classifier(model, preprocessor, class_names,
                         templates=DEFAULT_TEMPLATES, batch_size=256):
    """One unit-norm text embedding per class, `(num_classes, D)`.

    Every class name is put in every template; the embeddings of a class's
    prompts are averaged and renormalized (CLIP's prompt ensembling).

    Example:
    ```python
    weights = keras_mm.evaluation.zero_shot_classifier(
        model, preprocessor, ["circle", "square"], ["a red {}", "a {}"])
    ```
    """
    templates = list(templates)
    if not templates or any("{}" not in t for t in templates):
        raise ValueError("Every template needs a '{}' for the class name. "
                         f"Received: templates={templates}")
    prompts = [t.format(name) for name in class_names for t in templates]
    embeddings = encode_texts(model, preprocessor, prompts, batch_size)
    embeddings = embeddings.reshape(len(class_names), len(templates), -1)
    return l2_normalize(embeddings.mean(axis=1)).astype("float32")


def confusion_matrix(labels, predictions, num_classes):
    """`(num_classes, num_classes)` counts; rows are true classes."""
    matrix = np.zeros((num_classes, num_classes), "int64")
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def zero_shot_evaluate(model, preprocessor, images, labels, class_names,
                       templates=DEFAULT_TEMPLATES, ks=(1, 5), batch_size=64):
    """Zero-shot top-k accuracy of a contrastive model on labelled images.

    Args:
        model: a contrastive model with `encode("image"|"text", inputs)`.
        preprocessor: the model's `keras_mm.data.TextPreprocessor`.
        images: `(N, H, W, 3)` values in [0, 255].
        labels: `(N,)` int indices into `class_names`.
        class_names: list of str.
        templates: prompt templates with one `{}`, e.g. `"a photo of a {}"`.
        ks: the k of the reported top-k accuracies (k ≥ the number of
            classes gives 1.0 and is still reported).

    Returns:
        `{"top1": …, "top5": …, "num_classes", "num_images", "templates",
        "class_names", "confusion_matrix": list of lists,
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
    classifier = zero_shot_classifier(model, preprocessor, class_names,
                                      templates, batch_size)
    scores = encode_images(model, images, batch_size) @ classifier.T
    predictions = np.argmax(scores, axis=1)
    report = {f"top{k}": top_k_accuracy(scores, labels, k) for k in ks}
    report.update({
        "num_classes": len(class_names),
        "num_images": int(len(labels)),
        "templates": list(templates),
        "class_names": list(class_names),
        "confusion_matrix": confusion_matrix(
            labels, predictions, len(class_names)).tolist(),
        "predictions": predictions.tolist(),
    })
    return report
