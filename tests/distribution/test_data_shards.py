"""Each data-parallel process's part of every global batch of a dataset."""

import numpy as np
import pytest

from keras_mm.distribution import local_batch_size
from keras_mm.distribution import shard_global_batches


def test_a_batch_that_does_not_divide_is_refused():
    with pytest.raises(ValueError, match="batch_size=6 must divide by the 4"):
        local_batch_size(6, 4)


def test_shard_global_batches_keeps_consecutive_parts():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(
        {"x": np.arange(8)}).batch(4)
    parts = [[b["x"].numpy().tolist() for b in
              shard_global_batches(dataset, 4, i, 2)] for i in (0, 1)]
    assert parts == [[[0, 1], [4, 5]], [[2, 3], [6, 7]]]
    # A job of one process: the dataset as it is.
    assert shard_global_batches(dataset, 4) is dataset
    assert local_batch_size(4) == 4
