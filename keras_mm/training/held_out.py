"""Retrieval (and zero-shot, given labels) on held-out pairs, for a run's
`report.json` (its per-epoch logs come from `RetrievalCallback`)."""

import numpy as np

from keras_mm.evaluation.retrieval_callback import RetrievalCallback
from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES
from keras_mm.evaluation.zero_shot import class_embeddings
from keras_mm.metrics.top_k import top_k_accuracy


def held_out_report(model, dataset, labels=None, class_names=None,
                    templates=DEFAULT_TEMPLATES, ks=(1, 5, 10)):
    """`{"retrieval": ..., "zero_shot": ...}` of a model on held-out pairs,
    embedding them once.

    Retrieval: Recall@K both ways, identical captions merged
    (`keras_mm.metrics.caption_recall_at_k`): a caption identical to the
    true one counts as a hit, each distinct caption is one gallery entry,
    so R@1/5/10 mean what they say on class-like captions; the same
    numbers as the per-epoch `RetrievalCallback(same_text_matches=True)`.
    Zero-shot (with `labels`, each pair's class index in dataset order,
    and two or more `class_names`): top-1/top-5 of the media against class
    prompts ensembled over `templates` as `keras-mm eval` does.

    Example:
    ```python
    held_out_report(model, val_dataset)["retrieval"]["image_to_text"]
    ```
    """
    callback = RetrievalCallback(dataset, ks=ks, same_text_matches=True)
    callback.set_model(model)
    media, text, tokens = callback.embeddings()
    retrieval = callback.evaluate(embeddings=(media, text, tokens))
    retrieval["pairs"] = len(media)
    retrieval["distinct_captions"] = len({row.tobytes() for row in tokens})
    result = {"retrieval": retrieval}
    if labels is not None and len(class_names) > 1:
        try:
            result["zero_shot"] = zero_shot_accuracy(
                model, media, labels, class_names, templates)
        except ValueError as error:
            result["zero_shot"] = {"skipped": str(error)}
    return result


def zero_shot_accuracy(model, media, labels, class_names,
                       templates=DEFAULT_TEMPLATES):
    """Top-1/top-5 of `media` embeddings against the class prompts."""
    if len(media) != len(labels):
        raise ValueError(f"{len(labels) - len(media)} held-out samples "
                         "could not be read; zero-shot skipped")
    classes = class_embeddings(lambda texts: model.embed("text", texts),
                               class_names, templates)
    scores = media @ classes.T
    labels = np.asarray(labels, "int64")
    return {"top1": top_k_accuracy(scores, labels, 1),
            "top5": top_k_accuracy(scores, labels, 5),
            "num_classes": len(class_names), "num_samples": len(labels),
            "templates": list(templates)}
