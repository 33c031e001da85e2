"""Each process's part of the global batch, where processes feed their own
(torch data parallel; JAX and `tf.distribute` split the batch themselves).
"""

from keras_mm.distribution.collectives import process_shard


def local_batch_size(batch, count=None):
    """Rows of a global `batch` that one of `count` processes trains on
    (`count`: the processes of this job by default)."""
    count = process_shard()[1] if count is None else count
    if batch % count:
        raise ValueError(
            f"batch_size={batch} must divide by the {count} data-parallel "
            "processes (each trains on an equal part of the global batch)")
    return batch // count


def shard_global_batches(dataset, batch, index=None, count=None):
    """This process's part of each global batch of a batched `dataset`.

    Every batch of `batch` rows is cut into `count` consecutive parts and
    part `index` is kept (default: `process_shard()`); the dataset is
    returned as it is in a job of one process.

    Example:
    ```python
    dataset = tf.data.Dataset.from_tensor_slices(inputs).batch(64)
    dataset = keras_mm.distribution.shard_global_batches(dataset, 64)
    model.fit(dataset)  # 32 rows per process in a 2-process torch job
    ```
    """
    if index is None or count is None:
        index, count = process_shard()
    if count == 1:
        return dataset
    local = local_batch_size(batch, count)
    return dataset.unbatch().batch(local, drop_remainder=True).shard(
        count, index)
