"""Decoding a `tf.data` stream of file rows in chunks, not one by one.

A `tf.numpy_function` call costs far more than decoding a small image (a
32×32 PNG decodes in ~70 µs; one call per sample held the pipeline near
2,500 samples/s on two cores), so the Python decoder runs over a chunk of
rows per call and the chunk is unbatched again in the graph.
"""

import numpy as np

# Rows a decoder call handles: large enough that the call's overhead
# vanishes, small enough that two parallel calls keep both cores busy.
CHUNK_SIZE = 32


def decode_in_chunks(dataset, decode_row, specs, stateful=False,
                     chunk_size=CHUNK_SIZE, num_parallel_calls=None):
    """Maps `(path, blob, text, source)` rows to `(outputs, text, ok)`.

    Args:
        dataset: a `tf.data.Dataset` of 4 string scalars per element.
        decode_row: `decode_row(path, blob, source)` on the bytes of one
            row, returning `(arrays, ok)`: one array per spec (zeros when
            `ok` is False, the row then being dropped by the caller).
        specs: list of `(numpy dtype, shape)`, the decoded arrays.
        stateful: bool. True when `decode_row` records to a report.
        chunk_size: int. Rows per decoder call.
        num_parallel_calls: int or None (AUTOTUNE). Chunks decoded at once.

    Returns:
        A dataset of `(tuple of tensors, text, ok)` per row, in order.

    Example:
    ```python
    def decode_row(path, blob, source):
        return [decode_image(path.decode() or blob, 32)], True

    rows = decode_in_chunks(rows, decode_row, [(np.uint8, (32, 32, 3))])
    ```
    """
    import tensorflow as tf

    def decode_chunk(paths, blobs, sources):
        rows = [decode_row(*row) for row in zip(paths, blobs, sources)]
        columns = [np.stack([arrays[i] for arrays, _ in rows]).astype(dtype)
                   for i, (dtype, _) in enumerate(specs)]
        return columns + [np.array([ok for _, ok in rows], bool)]

    def decode(paths, blobs, texts, sources):
        outputs = tf.numpy_function(
            decode_chunk, [paths, blobs, sources],
            [tf.as_dtype(dtype) for dtype, _ in specs] + [tf.bool],
            stateful=stateful)
        for value, (_, shape) in zip(outputs, specs):
            value.set_shape((None,) + tuple(shape))
        outputs[-1].set_shape((None,))
        return tuple(outputs[:-1]), texts, outputs[-1]

    parallel = num_parallel_calls or tf.data.AUTOTUNE
    return dataset.batch(chunk_size).map(
        decode, num_parallel_calls=parallel, deterministic=True).unbatch()
