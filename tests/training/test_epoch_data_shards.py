"""Each data-parallel process's rows of every in-memory global batch."""

import numpy as np

from keras_mm.training import epoch_data


def test_shard_rows_cuts_each_batch_into_consecutive_parts():
    rows = np.array([7, 3, 5, 1, 0, 2, 4, 6])  # two global batches of 4
    assert epoch_data.shard_rows(rows, 4, 0, 2).tolist() == [7, 3, 0, 2]
    assert epoch_data.shard_rows(rows, 4, 1, 2).tolist() == [5, 1, 4, 6]
    assert epoch_data.shard_rows(rows, 4, 0, 1) is rows
