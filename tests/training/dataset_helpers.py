"""tf.data inputs of unknown length for the training tests."""

import numpy as np

from keras_mm.testing import tiny_clip_batch


def unknown_length_dataset(n=40, batch_size=8, seed=0):
    """`tiny_clip_batch(n)` in batches from a generator (cardinality
    unknown), in the same order on every pass."""
    import tensorflow as tf

    data = tiny_clip_batch(n, seed=seed)

    def batches():
        for start in range(0, n, batch_size):
            yield {k: v[start:start + batch_size] for k, v in data.items()}

    signature = {k: tf.TensorSpec((None,) + v.shape[1:], v.dtype)
                 for k, v in data.items()}
    return tf.data.Dataset.from_generator(batches,
                                          output_signature=signature)


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]
