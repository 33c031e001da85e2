"""Recall@K on a held-out set, logged during `fit`."""

import keras

from keras_mm.evaluation.encoding import encode_batches
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import recall_at_k

_SHORT = {"image_to_text": "i2t", "text_to_image": "t2i"}


class RetrievalCallback(keras.callbacks.Callback):
    """Computes retrieval Recall@K on held-out pairs at the end of epochs.

    The values are added to the epoch logs (so `History`, `CSVLogger`,
    TensorBoard and `EarlyStopping(monitor="val_i2t_R@5")` see them) under
    `"{prefix}i2t_R@K"`, `"{prefix}t2i_R@K"`, plus mean and median ranks.

    Args:
        inputs: dict with the image and text encoders' input keys
            (`"images"`, `"token_ids"`, `"padding_mask"`), one row per pair.
        image_labels: optional labels per image row; an image matches every
            text with an equal label. Defaults to the row index.
        text_labels: optional labels per text row (e.g. caption strings,
            so identical captions count as matches).
        captions: optional caption string per row. When given, identical
            captions count as matches and are merged in the text gallery
            (`keras_mm.metrics.caption_recall_at_k`), so Recall@K means
            what it says on class-like captions; the labels are unused.
        ks: the K values.
        prefix: str. Prepended to the log keys.
        frequency: int. Evaluate every `frequency` epochs.
        batch_size: int. Batch size of the forward passes.

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
                 captions=None):
        super().__init__()
        if frequency < 1:
            raise ValueError(f"frequency must be >= 1. Received: {frequency}")
        self.inputs = inputs
        count = len(next(iter(inputs.values())))
        self.image_labels = (list(range(count)) if image_labels is None
                             else list(image_labels))
        self.text_labels = (list(range(count)) if text_labels is None
                            else list(text_labels))
        self.captions = None if captions is None else list(captions)
        if self.captions is not None and len(self.captions) != count:
            raise ValueError(f"Need one caption per row: {count} rows, "
                             f"{len(self.captions)} captions")
        self.ks = tuple(ks)
        self.prefix = prefix
        self.frequency = frequency
        self.batch_size = batch_size
        self.history = []

    def evaluate(self):
        """The `recall_at_k` report of the current model on the held-out set."""
        images = encode_batches(self.model, "image", self.inputs,
                                self.batch_size)
        texts = encode_batches(self.model, "text", self.inputs,
                               self.batch_size)
        if self.captions is not None:
            return caption_recall_at_k(images, texts, self.captions, self.ks)
        return recall_at_k(images, texts, self.image_labels,
                           self.text_labels, self.ks)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.frequency:
            return
        report = self.evaluate()
        flat = {
            f"{self.prefix}{_SHORT[direction]}_{key}": value
            for direction, entry in report.items()
            for key, value in entry.items()
        }
        self.history.append({"epoch": epoch, **flat})
        if logs is not None:
            logs.update(flat)

    def get_config(self):
        return {"ks": self.ks, "prefix": self.prefix,
                "frequency": self.frequency, "batch_size": self.batch_size}
