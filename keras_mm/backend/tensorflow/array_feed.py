"""NumPy arrays as the `tf.data.Dataset` Keras' TensorFlow trainer builds.

On TensorFlow, Keras feeds in-memory arrays through tf.data (its
`ArrayDataAdapter`); `keras_mm.tasks.feed_defaults` builds that same
dataset itself so that it can switch tf.data's autotuning thread off.
Other backends read arrays without tf.data and have no `array_feed`.
"""

import tensorflow as tf

from keras_mm.backend import keras_compat


def feeds_arrays(x, y, sample_weight):
    """Whether Keras would feed `(x, y, sample_weight)` through tf.data."""
    return x is not None and keras_compat.can_convert_arrays(
        (x, y, sample_weight))


def arrays_dataset(x, y=None, sample_weight=None, batch_size=None,
                   steps=None, shuffle=False, class_weight=None):
    """Keras' dataset for the arrays (batching, per-epoch shuffle, sample
    and class weights)."""
    adapter = keras_compat.array_data_adapter(
        x, y, sample_weight=sample_weight, batch_size=batch_size,
        steps=steps, shuffle=shuffle, class_weight=class_weight)
    return adapter.get_tf_dataset().apply(
        tf.data.experimental.assert_cardinality(adapter.num_batches))
