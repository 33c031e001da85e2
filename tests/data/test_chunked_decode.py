import numpy as np
import tensorflow as tf

from keras_mm.data.chunked_decode import decode_in_chunks


def test_rows_keep_their_order_and_flags_across_chunks():
    # 70 rows: two full chunks of 32 and a last one of 6, decoded at once.
    names = [f"{i}.png" for i in range(70)]
    rows = tf.data.Dataset.from_tensor_slices(
        (names, [b""] * 70, [f"caption {i}" for i in range(70)], names))
    calls = []

    def decode_row(path, blob, source):
        calls.append(path)
        index = int(path.decode().split(".")[0])
        return [np.full((2, 3), index, np.int32)], index % 7 != 0

    decoded = decode_in_chunks(rows, decode_row, [(np.int32, (2, 3))],
                               chunk_size=32, num_parallel_calls=2)
    out = [(a[0].numpy(), t.numpy().decode(), bool(ok))
           for a, t, ok in decoded]
    assert [a[0, 0] for a, _, _ in out] == list(range(70))
    assert [t for _, t, _ in out] == [f"caption {i}" for i in range(70)]
    assert [ok for _, _, ok in out] == [i % 7 != 0 for i in range(70)]
    assert decoded.element_spec[0][0].shape == (2, 3)
    assert len(calls) == 70
