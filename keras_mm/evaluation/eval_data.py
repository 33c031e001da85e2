"""The pairs an evaluation runs on: the user's files, or pairs the caller
already holds (`InMemoryPairs`) with their own zero-shot classes."""

import numpy as np


class InMemoryPairs:
    """Pairs an application holds in memory, with their zero-shot task.

    Args:
        name: str. How reports name the data.
        pairs: list of `keras_mm.data.Pair`, or a callable taking the
            model's image side and returning them (data drawn at the
            model's own size).
        class_names: optional list of str, the zero-shot classes (pairs
            carry theirs in `meta["label"]`).
        templates: optional list of prompt templates with one `{}`.

    Example:
    ```python
    data = InMemoryPairs("mine", pairs, class_names=["cat", "dog"])
    keras_mm.evaluation.evaluate_model("run/model.keras", data, "out")
    ```
    """

    def __init__(self, name, pairs, class_names=None, templates=None):
        self.name = name
        self.pairs = pairs
        self.class_names = class_names
        self.templates = templates

    def pairs_for(self, image_size):
        """The pairs, drawn at `image_size` when `pairs` is a callable."""
        return list(self.pairs(image_size) if callable(self.pairs)
                    else self.pairs)

    def task(self):
        """The zero-shot task: `{"class_names", "templates"}`."""
        return {"class_names": self.class_names, "templates": self.templates}

    def __str__(self):
        return self.name


def read_eval_pairs(path, num_samples=None, seed=0, **data_options):
    """The pairs of a manifest, COCO file, image folder or shards
    (`keras_mm.data.sources.read_pairs`), with the count of skipped rows.

    `num_samples` keeps that many pairs drawn at random (seeded), in their
    order, so a folder sorted by class keeps every class.

    Returns:
        `(pairs, skipped)`: `skipped` maps a reason to a count.
    """
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.sources import read_pairs

    errors = ErrorReport(verbose=False)
    pairs = read_pairs(path, on_error="skip", report=errors, **data_options)
    return subsample(pairs, num_samples, seed), errors.totals()


def subsample(pairs, num_samples=None, seed=0):
    """At most `num_samples` of `pairs`, drawn at random, order kept."""
    if num_samples is None or len(pairs) <= num_samples:
        return list(pairs)
    keep = np.random.default_rng(seed).choice(len(pairs), num_samples,
                                              replace=False)
    return [pairs[i] for i in np.sort(keep)]
