"""Host arrays into TensorFlow variables without extra copies."""

import tensorflow as tf


def assignable(values):
    """An aligned contiguous NumPy array as what `Variable.assign` takes.

    One copy that TensorFlow owns, which the variable's assign adopts as
    its buffer: `tf.convert_to_tensor` copies a NumPy array twice, and
    DLPack alone would make the variable share the caller's array.
    """
    return tf.raw_ops.DeepCopy(
        x=tf.experimental.dlpack.from_dlpack(values.__dlpack__()))


def wrap_host_zeros(values):
    """NumPy zeros whose pages were never written, as a TensorFlow tensor
    over the same memory, for `random_init_skipped`.

    DLPack hands the buffer over as it is (where `tf.convert_to_tensor`
    would write every page); the variable's assign later swaps in a new
    buffer, so the zero pages are never made resident.
    """
    return tf.experimental.dlpack.from_dlpack(values.__dlpack__())
