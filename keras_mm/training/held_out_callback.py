"""Held-out Recall@K, zero-shot accuracy and a retrieval grid, each epoch."""

import io
import os
import warnings

import numpy as np

from keras_mm.dependency_error import MissingDependencyError
from keras_mm.evaluation.retrieval_callback import RetrievalCallback
from keras_mm.evaluation.retrieval_callback import _as_numpy
from keras_mm.evaluation.retrieval_callback import _text_groups
from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES
from keras_mm.training.held_out import zero_shot_accuracy
from keras_mm.training.summary_writer import SummaryWriter

GRID_TAG = "retrieval/image_to_text"


def display_pixels(images):
    """Model-input images (any value range) as uint8, each stretched to
    its own range."""
    images = np.asarray(images, "float32")
    low = images.min(axis=(1, 2, 3), keepdims=True)
    span = np.maximum(images.max(axis=(1, 2, 3), keepdims=True) - low, 1e-6)
    return np.round((images - low) / span * 255).astype("uint8")


def grid_image(pixels, media, text, tokens, captions, num_queries=4):
    """The image→text figure of the first `num_queries` held-out rows as a
    uint8 `(H, W, 3)` array: each query's top distinct captions (rows
    with equal token ids are one caption), the true one under a miss."""
    from PIL import Image

    from keras_mm.evaluation import figures

    index, rows, groups = {}, [], []
    for i, key in enumerate(_text_groups(tokens)):
        if key not in index:
            index[key] = len(rows)
            rows.append(i)
        groups.append(index[key])
    groups = np.asarray(groups)
    count = min(num_queries, len(pixels))
    scores = media[:count] @ text[rows].T  # (queries, distinct captions)
    ranking = np.argsort(-scores, axis=1, kind="stable")[:, :20]
    buffer = io.BytesIO()
    figures.plot_image_to_text(
        buffer, pixels, [captions[i] for i in rows], ranking,
        ranking == groups[:count, None], count,
        true_captions=list(captions[:count]))
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


class HeldOutCallback(RetrievalCallback):
    """`RetrievalCallback` (identical token ids count as one caption) that
    also logs zero-shot accuracy and writes a retrieval grid, embedding
    the held-out set once per evaluation.

    Args:
        inputs: the held-out batches (see `RetrievalCallback`).
        labels: optional class index per held-out row; with two or more
            `class_names`, zero-shot top-1/top-5 against prompts built
            from `templates` go to the logs as `{prefix}zero_shot_top1` and
            `{prefix}zero_shot_top5`.
        class_names: list of str.
        grid_captions: optional caption per held-out row. With `log_dir`
            and image inputs, the image→text grid of the first
            `num_queries` rows is written to `log_dir/retrieval` as the
            image `retrieval/image_to_text` (step: epochs done).
        log_dir: str. The TensorBoard folder.
        **kwargs: the other `RetrievalCallback` arguments.

    Example:
    ```python
    callback = HeldOutCallback(val_data, labels, ["cat", "dog"],
                               grid_captions=texts, log_dir="run/logs")
    model.fit(train_data, epochs=2, callbacks=[callback])
    ```
    """

    def __init__(self, inputs, labels=None, class_names=None,
                 grid_captions=None, log_dir=None, num_queries=4,
                 templates=DEFAULT_TEMPLATES, **kwargs):
        super().__init__(inputs, same_text_matches=True, **kwargs)
        self.labels = None if labels is None else list(labels)
        self.class_names = list(class_names or ())
        self.grid_captions = (None if grid_captions is None
                              else list(grid_captions))
        self.log_dir = log_dir
        self.num_queries = int(num_queries)
        self.templates = tuple(templates)
        self._pixels = None
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.frequency:
            return
        embeddings = self.embeddings()
        self.log_report(epoch, self.evaluate(embeddings), logs)
        media, text, tokens = embeddings
        if self.labels is not None and len(self.class_names) > 1 and (
                len(self.labels) == len(media)):
            accuracy = zero_shot_accuracy(self.model, media, self.labels,
                                          self.class_names, self.templates)
            flat = {f"{self.prefix}zero_shot_top1": accuracy["top1"],
                    f"{self.prefix}zero_shot_top5": accuracy["top5"]}
            self.history[-1].update(flat)
            if logs is not None:
                logs.update(flat)
        if (self.log_dir and self.grid_captions is not None
                and tokens is not None
                and len(self.grid_captions) == len(media)):
            self._write_grid(epoch + 1, media, text, tokens)

    def _first_images(self):
        if self._pixels is None:
            batches = ([self.inputs] if isinstance(self.inputs, dict)
                       else map(_as_numpy, self.inputs))
            parts, count = [], 0
            for batch in batches:
                if "images" not in batch:
                    break
                parts.append(np.asarray(batch["images"]))
                count += len(parts[-1])
                if count >= self.num_queries:
                    break
            self._pixels = (display_pixels(np.concatenate(parts)[
                :self.num_queries]) if parts else np.zeros((0,)))
        return self._pixels

    def _write_grid(self, step, media, text, tokens):
        pixels = self._first_images()
        if not len(pixels):
            return
        try:  # matplotlib draws the grid, tensorboard writes it
            image = grid_image(pixels, media, text, tokens,
                               self.grid_captions, self.num_queries)
            if self._writer is None:
                self._writer = SummaryWriter(
                    os.path.join(self.log_dir, "retrieval"))
        except MissingDependencyError as error:
            warnings.warn(f"no retrieval grid in TensorBoard: {error}",
                          stacklevel=2)
            self.log_dir = None
            return
        self._writer.image(GRID_TAG, image[None], step)
        self._writer.flush()

    def get_config(self):
        return {**super().get_config(), "log_dir": self.log_dir,
                "num_queries": self.num_queries,
                "templates": list(self.templates)}
