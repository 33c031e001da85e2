"""The batches of each epoch, from in-memory arrays or a `tf.data.Dataset`.

Arrays are reordered by a permutation that depends on (seed, epoch) only.
A dataset is fed as it is batched and shuffles by its own seed; each epoch
re-iterates it from its start (`skip` drops the batches a resumed run has
already trained on).
"""

import sys

import keras
import numpy as np

from keras_mm.distribution.data_shards import local_batch_size

_INFINITE = -1
_UNKNOWN = -2


def is_dataset(data):
    """True for a `tf.data.Dataset` (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")  # no dataset exists before it loads
    return tf is not None and isinstance(data, tf.data.Dataset)


def num_examples(data):
    """Rows of in-memory `x`, `(x, y)` or `(x, y, sample_weight)`."""
    return len(keras.tree.flatten(data)[0])


def take_rows(data, index):
    """The rows `index` (slice or integer array) of in-memory data."""
    return keras.tree.map_structure(lambda a: a[index], data)


def first_batch(data, count):
    """Up to `count` rows of the first batch (arrays or a dataset), as
    NumPy, e.g. for probes that log gradient norms or attention maps."""
    if not is_dataset(data):
        return take_rows(data, slice(0, min(num_examples(data), count)))
    batch = next(iter(data.take(1)))
    return keras.tree.map_structure(
        lambda t: np.asarray(t)[:count], batch)


def dataset_batch_size(dataset):
    """The dataset's static batch size, or None when it is not static
    (e.g. batched without `drop_remainder`)."""
    for spec in keras.tree.flatten(dataset.element_spec):
        shape = getattr(spec, "shape", None)
        if shape is not None and shape.rank:
            return shape[0]
    return None


def steps_per_epoch(data, batch_size, requested=0, print_fn=print):
    """Batches per epoch.

    Arrays: `requested` (at most one pass) or every full batch. A dataset:
    `requested`, else its cardinality when known, else its batches counted
    by one pass over it (announced through `print_fn`).
    """
    if not is_dataset(data):
        n = num_examples(data)
        available = n // batch_size
        if available < 1:
            raise ValueError(
                f"batch_size={batch_size} exceeds the {n} examples.")
        if requested > available:
            raise ValueError(
                f"steps_per_epoch={requested} exceeds the {available} "
                f"batches of {batch_size} in the {n} examples.")
        return requested or available
    if requested:
        return requested
    cardinality = int(data.cardinality())
    if cardinality == _INFINITE:
        raise ValueError("The training dataset repeats forever: set "
                         "steps_per_epoch (or steps) in the TrainConfig.")
    if cardinality == _UNKNOWN:
        cardinality = sum(1 for _ in data)
        print_fn(f"counted {cardinality} batches per epoch (the dataset's "
                 "length is unknown; set steps_per_epoch to skip the count)")
    if cardinality < 1:
        raise ValueError("The training dataset yields no batches.")
    return cardinality


def epoch_dataset(dataset, first, last):
    """Batches `first` to `last` (exclusive) of one pass over `dataset`.

    The dataset is repeated, so `steps_per_epoch` may exceed its length (an
    epoch then runs on into the next pass).
    """
    return dataset.repeat().skip(first).take(last - first)


def shard_rows(rows, batch, index, count):
    """Part `index` of `count` of each global batch of `batch` rows in
    `rows` (row indices, a whole number of batches), in order."""
    if count == 1:
        return rows
    local = local_batch_size(batch, count)
    batches = np.asarray(rows).reshape(-1, batch)
    return batches[:, index * local:(index + 1) * local].reshape(-1)


def epoch_order(n, epoch, seed):
    """The permutation of `n` in-memory rows for `epoch`."""
    return np.random.default_rng([seed, epoch]).permutation(n)
