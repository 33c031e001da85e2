"""Recall@K on a held-out set, logged during `fit`."""

import keras
import numpy as np

from keras_mm.evaluation.encoding import encode_batches
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import recall_at_k


def media_modality(model):
    """The non-text modality of a two-tower contrastive model."""
    return next(m for m in model.encoders if m != "text")


def _short_names(media):
    # "image" -> i2t / t2i (the historical keys), "audio" -> a2t / t2a.
    return {f"{media}_to_text": f"{media[0]}2t",
            f"text_to_{media}": f"t2{media[0]}"}


def _as_numpy(batch):
    if isinstance(batch, (tuple, list)):
        batch = batch[0]  # (x, y, ...): the model inputs
    return {k: np.asarray(v) for k, v in batch.items()}


def _text_groups(token_ids):
    """One caption key per row: rows with equal token ids share it (hex,
    which `caption_recall_at_k`'s case folding leaves distinct)."""
    return [row.tobytes().hex() for row in np.ascontiguousarray(token_ids)]


class RetrievalCallback(keras.callbacks.Callback):
    """Computes retrieval Recall@K on held-out pairs at the end of epochs.

    The values are added to the epoch logs (so `History`, `CSVLogger`,
    TensorBoard and `EarlyStopping(monitor="val_i2t_R@5")` see them) under
    `"{prefix}i2t_R@K"`, `"{prefix}t2i_R@K"`, plus mean and median ranks
    (`a2t`/`t2a` for an audio model, `v2t`/`t2v` for video).

    Args:
        inputs: the held-out pairs, one row per pair, with the media and
            text encoders' input keys (e.g. `"images"`, `"token_ids"`,
            `"padding_mask"`): a dict of arrays, or batches of such dicts
            (a `tf.data.Dataset`, e.g. from `keras_mm.data.model_dataset`,
            or any re-iterable of batches; `(x, y)` batches use `x`),
            encoded batch by batch in one pass per evaluation.
        image_labels: optional labels per media row; a media row matches
            every text with an equal label. Defaults to the row index.
            Labels follow the order of the rows as they come, so batched
            data with labels must not reshuffle between passes.
        text_labels: optional labels per text row (e.g. caption strings,
            so identical captions count as matches).
        captions: optional caption string per row. When given, identical
            captions count as matches and are merged in the text gallery
            (`keras_mm.metrics.caption_recall_at_k`), so Recall@K means
            what it says on class-like captions; the labels are unused.
        ks: the K values.
        prefix: str. Prepended to the log keys.
        frequency: int. Evaluate every `frequency` epochs.
        batch_size: int. Batch size of the forward passes (dict inputs).
        same_text_matches: bool. For data without caption strings (e.g.
            a dataset of token ids): rows with identical token ids count as
            one caption, as with `captions` (matched, and merged in the
            text gallery).

    Example:
    ```python
    callback = keras_mm.evaluation.RetrievalCallback(
        held_out_inputs, captions=held_out_captions)
    history = model.fit(train_inputs, epochs=3, callbacks=[callback])
    history.history["val_i2t_R@5"]
    ```
    """

    def __init__(self, inputs, image_labels=None, text_labels=None,
                 ks=(1, 5, 10), prefix="val_", frequency=1, batch_size=256,
                 captions=None, same_text_matches=False):
        super().__init__()
        if frequency < 1:
            raise ValueError(f"frequency must be >= 1. Received: {frequency}")
        self.inputs = inputs
        self.image_labels = (None if image_labels is None
                             else list(image_labels))
        self.text_labels = (None if text_labels is None
                            else list(text_labels))
        self.captions = None if captions is None else list(captions)
        if isinstance(inputs, dict) and self.captions is not None:
            count = len(next(iter(inputs.values())))
            if len(self.captions) != count:
                raise ValueError(f"Need one caption per row: {count} rows, "
                                 f"{len(self.captions)} captions")
        self.ks = tuple(ks)
        self.prefix = prefix
        self.frequency = frequency
        self.batch_size = batch_size
        self.same_text_matches = bool(same_text_matches)
        self.history = []

    def embeddings(self):
        """`(media_embeddings, text_embeddings, token_ids or None)` of the
        held-out set under the current model, as NumPy."""
        media = media_modality(self.model)
        if isinstance(self.inputs, dict):
            batches = [(self.inputs, self.batch_size)]
        else:
            batches = ((b, None) for b in map(_as_numpy, self.inputs))
        parts = {media: [], "text": [], "token_ids": []}
        for batch, size in batches:
            size = size or len(next(iter(batch.values())))
            for modality in (media, "text"):
                parts[modality].append(
                    encode_batches(self.model, modality, batch, size))
            if "token_ids" in batch:
                parts["token_ids"].append(np.asarray(batch["token_ids"]))
        if not parts[media]:
            raise ValueError("The held-out retrieval data yields no "
                             "batches.")
        tokens = (np.concatenate(parts["token_ids"])
                  if parts["token_ids"] else None)
        return (np.concatenate(parts[media]), np.concatenate(parts["text"]),
                tokens)

    def evaluate(self, embeddings=None):
        """The `recall_at_k` report of the current model on the held-out
        set, with direction keys named after the media modality
        (`embeddings`: `self.embeddings()`'s result, when already
        computed)."""
        media_embeddings, text_embeddings, tokens = (
            embeddings or self.embeddings())
        count = len(media_embeddings)
        captions = self.captions
        if captions is None and self.same_text_matches and (
                tokens is not None):
            captions = _text_groups(tokens)
        if captions is not None:
            report = caption_recall_at_k(media_embeddings, text_embeddings,
                                         captions, self.ks)
        else:
            report = recall_at_k(
                media_embeddings, text_embeddings,
                self.image_labels or list(range(count)),
                self.text_labels or list(range(count)), self.ks)
        media = media_modality(self.model)
        return {name.replace("image", media): entry
                for name, entry in report.items()}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.frequency:
            return
        self.log_report(epoch, self.evaluate(), logs)

    def log_report(self, epoch, report, logs):
        """Adds `evaluate`'s `report` to `history` and the epoch `logs`."""
        short = _short_names(media_modality(self.model))
        flat = {
            f"{self.prefix}{short[direction]}_{key}": value
            for direction, entry in report.items()
            for key, value in entry.items()
        }
        self.history.append({"epoch": epoch, **flat})
        if logs is not None:
            logs.update(flat)

    def get_config(self):
        return {"ks": self.ks, "prefix": self.prefix,
                "frequency": self.frequency, "batch_size": self.batch_size,
                "same_text_matches": self.same_text_matches}
