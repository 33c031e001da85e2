"""One input path for every keras_mm task: iterators that close at once.

Keras opens a new tf.data iterator for each epoch, `evaluate` and
`predict`, and closing one waits for tf.data's autotuning thread (see
`keras_mm.data.autotune_thread`): up to seconds per epoch. `FeedDefaults`
hands Keras datasets without that thread:

- a `tf.data.Dataset` (any backend) gets autotuning off, unless its
  options set it;
- on a backend whose trainer reads arrays through tf.data (TensorFlow:
  `keras_mm/backend/tensorflow/array_feed.py`), NumPy arrays (and
  dicts/tuples of them) become the same dataset Keras would build from
  them (its `ArrayDataAdapter`: batching, per-epoch shuffle,
  `sample_weight`, `class_weight`, `validation_split`), without the
  thread. Other backends read arrays without tf.data and are left alone.

A call that fails before its first step (an unreadable first batch) leaves
the model's weights in place on every backend (on jax:
`keras_mm/backend/jax/trainer_state.py`).

Example:
```python
class MyTask(FeedDefaults, keras.Model):
    ...
model.fit(x_arrays, y_arrays, batch_size=64, epochs=3)
```
"""

import contextlib
import sys

from keras_mm import backend
from keras_mm.backend import keras_compat
from keras_mm.data.autotune_thread import without_autotune_thread
from keras_mm.data.data_error_dataset import raising_data_errors_of


def _is_tf_dataset(x):
    tf = sys.modules.get("tensorflow")  # no dataset exists before it loads
    return tf is not None and isinstance(x, tf.data.Dataset)


def _feeds_arrays_through_tf_data(x, y, sample_weight):
    native = backend.native("array_feed")
    return native is not None and native.feeds_arrays(x, y, sample_weight)


def _arrays_dataset(*args, **kwargs):
    return without_autotune_thread(
        backend.native("array_feed").arrays_dataset(*args, **kwargs))


def _weights_kept_on_error(model):
    native = backend.native("trainer_state")
    if native is None:
        return contextlib.nullcontext()
    return native.weights_kept_on_error(model)


def _quick_close(data):
    return without_autotune_thread(data) if _is_tf_dataset(data) else data


class FeedDefaults:
    """Mixin for task models: `fit`/`evaluate`/`predict` feed Keras
    datasets whose iterators close without waiting (module docstring)."""

    def fit(self, x=None, y=None, batch_size=None, epochs=1,
            verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, steps_per_epoch=None,
            validation_batch_size=None, validation_steps=None, **kwargs):
        if (validation_split and validation_data is None
                and _feeds_arrays_through_tf_data(x, y, sample_weight)):
            (x, y, sample_weight), validation_data = (
                keras_compat.train_validation_split(
                    (x, y, sample_weight), validation_split))
            validation_split = 0.0
        if validation_data is not None and not _is_tf_dataset(
                validation_data):
            vx, vy, vw = keras_compat.unpack_x_y_sample_weight(
                validation_data)
            if _feeds_arrays_through_tf_data(vx, vy, vw):
                validation_data = _arrays_dataset(
                    vx, vy, vw, validation_batch_size or batch_size,
                    validation_steps)
                validation_batch_size = None
        if _feeds_arrays_through_tf_data(x, y, sample_weight):
            x = _arrays_dataset(x, y, sample_weight, batch_size,
                                steps_per_epoch, shuffle, class_weight)
            y = sample_weight = class_weight = batch_size = None
            shuffle = False  # the dataset shuffles; Keras would warn
        x = _quick_close(x)
        validation_data = _quick_close(validation_data)
        # A reader's DataError, not TensorFlow's, on every backend.
        with raising_data_errors_of(x, validation_data), \
                _weights_kept_on_error(self):
            return super().fit(
                x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_split=validation_split,
                validation_data=validation_data, shuffle=shuffle,
                class_weight=class_weight, sample_weight=sample_weight,
                steps_per_epoch=steps_per_epoch,
                validation_batch_size=validation_batch_size,
                validation_steps=validation_steps, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto",
                 sample_weight=None, steps=None, **kwargs):
        if _feeds_arrays_through_tf_data(x, y, sample_weight):
            x = _arrays_dataset(x, y, sample_weight, batch_size, steps)
            y = sample_weight = batch_size = None
        with raising_data_errors_of(x), _weights_kept_on_error(self):
            return super().evaluate(
                _quick_close(x), y, batch_size=batch_size, verbose=verbose,
                sample_weight=sample_weight, steps=steps, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None,
                **kwargs):
        if _feeds_arrays_through_tf_data(x, None, None):
            x = _arrays_dataset(x, batch_size=batch_size, steps=steps)
            batch_size = None
        with raising_data_errors_of(x), _weights_kept_on_error(self):
            return super().predict(_quick_close(x), batch_size=batch_size,
                                   verbose=verbose, steps=steps, **kwargs)
