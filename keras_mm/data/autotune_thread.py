"""tf.data datasets whose iterators close at once.

With autotuning on (tf.data's default), every iterator starts a model
thread that re-plans the pipeline on a doubling period. Closing the
iterator waits for that thread's current period to end, and Keras closes
one iterator per epoch (and per `evaluate` and `predict`), so every short
`fit` ends with a wait of up to seconds (benchmarks/README.md, "TensorFlow's
two speeds").

`without_autotune_thread` turns autotuning off unless the dataset's
options already set it. `num_parallel_calls=tf.data.AUTOTUNE` then runs
one call per core and `prefetch(tf.data.AUTOTUNE)` keeps its own buffer
tuning, so the pipeline stays parallel.

Example:
```python
import tensorflow as tf
ds = without_autotune_thread(tf.data.Dataset.range(8).batch(2))
assert ds.options().autotune.enabled is False
```
"""


def without_autotune_thread(dataset):
    """`dataset` with tf.data autotuning off, unless its options already
    choose (a user's explicit `autotune.enabled` is kept)."""
    import tensorflow as tf

    if dataset.options().autotune.enabled is not None:
        return dataset
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
