"""Retrieval (and zero-shot, given labels) on held-out pairs, for a run's
`report.json` and its per-epoch logs."""

import keras
import numpy as np

from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.top_k import top_k_accuracy


def embed_dataset(model, dataset, modality):
    """`(media_embeddings, text_embeddings, text_groups)` of a dataset of
    model inputs; a caption's group is its token ids, so identical captions
    share one group."""
    media, text, groups = [], [], []
    text_keys = model.encoders["text"].input_keys
    for batch in dataset.as_numpy_iterator():
        batch = batch[0] if isinstance(batch, tuple) else batch
        # The compiled path (one traced function per batch shape); eager
        # calls compile every op on jax.
        outputs = model.predict_on_batch(batch)
        media.append(_numpy(outputs[f"{modality}_embeddings"]))
        text.append(_numpy(outputs["text_embeddings"]))
        ids = np.asarray(batch[text_keys[0]])
        groups += [row.tobytes() for row in ids.reshape(len(ids), -1)]
    return np.concatenate(media), np.concatenate(text), groups


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float32)


def held_out_retrieval(model, dataset, modality, ks=(1, 5, 10)):
    """Recall@K both ways on held-out pairs, identical captions merged
    (`keras_mm.metrics.caption_recall_at_k`): a caption identical to the
    true one counts as a hit, each distinct caption is one gallery entry,
    so R@1/5/10 mean what they say on class-like captions.

    Example:
    ```python
    held_out_retrieval(model, val_dataset, "image")["image_to_text"]["R@1"]
    ```
    """
    media, text, groups = embed_dataset(model, dataset, modality)
    # Captions with equal token ids are the same caption.
    captions = [group.hex() for group in groups]
    report = caption_recall_at_k(media, text, captions, ks)
    report[f"{modality}_to_text"] = report.pop("image_to_text")
    report[f"text_to_{modality}"] = report.pop("text_to_image")
    report["pairs"] = len(captions)
    report["distinct_captions"] = len(set(captions))
    return report


def held_out_zero_shot(model, dataset, modality, labels, class_names,
                       templates=("a photo of a {}.",)):
    """Zero-shot top-1/top-5 of media against class prompts.

    `labels` gives each pair's class index, in dataset order.
    """
    media, _, _ = embed_dataset(model, dataset, modality)
    if len(media) != len(labels):
        raise ValueError(f"{len(labels) - len(media)} held-out samples "
                         "could not be read; zero-shot skipped")
    # Prompt ensembling as CLIP does it: the mean of a class's prompt
    # embeddings, renormalised. `embed` takes any text preprocessor.
    prompts = [t.format(name) for name in class_names for t in templates]
    classes = model.embed("text", prompts).reshape(
        len(class_names), len(templates), -1).mean(axis=1)
    classes /= np.linalg.norm(classes, axis=-1, keepdims=True) + 1e-12
    scores = media @ classes.T
    labels = np.asarray(labels, "int64")
    return {"top1": top_k_accuracy(scores, labels, 1),
            "top5": top_k_accuracy(scores, labels, 5),
            "num_classes": len(class_names), "num_samples": len(labels),
            "templates": list(templates)}


class HeldOutRecall(keras.callbacks.Callback):
    """Adds held-out Recall@K to the epoch logs (`val_i2t_R@1`,
    `val_t2i_R@5`, ...; `a2t` for audio, `v2t` for video), so the
    history, TensorBoard and the progress bar show it. Identical captions
    count as one, as in `held_out_retrieval` (and `report.json`).

    Args:
        dataset: a `tf.data.Dataset` of model inputs (held-out pairs).
        modality: str. The media modality, e.g. `"image"`.
        ks: the K values.

    Example:
    ```python
    model.fit(train, callbacks=[HeldOutRecall(val_dataset, "image")])
    ```
    """

    def __init__(self, dataset, modality, ks=(1, 5, 10)):
        super().__init__()
        self.dataset = dataset
        self.modality = modality
        self.ks = tuple(ks)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        report = held_out_retrieval(self.model, self.dataset, self.modality,
                                    self.ks)
        m = self.modality
        # The keys of `keras_mm.evaluation.RetrievalCallback`: i2t/t2i for
        # images, a2t/t2a for audio, v2t/t2v for video.
        for name, short in ((f"{m}_to_text", f"{m[0]}2t"),
                            (f"text_to_{m}", f"t2{m[0]}")):
            for k in self.ks:
                logs[f"val_{short}_R@{k}"] = report[name][f"R@{k}"]
