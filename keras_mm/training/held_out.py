"""Retrieval (and zero-shot, given labels) on held-out pairs, for a run's
`report.json` (its per-epoch logs come from `RetrievalCallback`)."""

import numpy as np

from keras_mm.evaluation.retrieval_callback import RetrievalCallback
from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES
from keras_mm.evaluation.zero_shot import class_embeddings
from keras_mm.metrics.top_k import top_k_accuracy


def held_out_retrieval(model, dataset, modality, ks=(1, 5, 10)):
    """Recall@K both ways on held-out pairs, identical captions merged
    (`keras_mm.metrics.caption_recall_at_k`): a caption identical to the
    true one counts as a hit, each distinct caption is one gallery entry,
    so R@1/5/10 mean what they say on class-like captions. The same
    numbers as the per-epoch `RetrievalCallback(same_text_matches=True)`.

    Example:
    ```python
    held_out_retrieval(model, val_dataset, "image")["image_to_text"]["R@1"]
    ```
    """
    callback = RetrievalCallback(dataset, ks=ks, same_text_matches=True)
    callback.set_model(model)
    media, text, tokens = callback.embeddings()
    report = callback.evaluate(embeddings=(media, text, tokens))
    report["pairs"] = len(media)
    report["distinct_captions"] = len({row.tobytes() for row in tokens})
    return report


def _media_embeddings(model, dataset, modality):
    callback = RetrievalCallback(dataset)
    callback.set_model(model)
    return callback.embeddings()[0]


def held_out_zero_shot(model, dataset, modality, labels, class_names,
                       templates=DEFAULT_TEMPLATES):
    """Zero-shot top-1/top-5 of media against class prompts, ensembled
    over `templates` as `keras-mm eval` does (`class_embeddings`).

    `labels` gives each pair's class index, in dataset order.
    """
    media = _media_embeddings(model, dataset, modality)
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
