"""A `tf.data.Dataset` whose iterators raise the reader's own `DataError`.

A `DataError` raised inside `tf.numpy_function` reaches the caller as
TensorFlow's `InvalidArgumentError`, so `except DataError` would miss it.
The decoder records each error it raises; iterating the dataset in Python
(a `for` loop, Keras' jax and torch trainers) turns TensorFlow's error back
into the recorded one. A graph that consumes the dataset inside a
`tf.function` (Keras' tensorflow trainer) sees TensorFlow's error, with the
same message; `raising_data_errors_of` turns it back around such a call
(keras_mm's tasks wrap `fit`, `evaluate` and `predict` with it).
"""

import contextlib
import sys
import threading


class DataErrors:
    """The `DataError`s a decoder raised, by message, for the iterator."""

    def __init__(self):
        self._errors = {}
        self._lock = threading.Lock()

    def record(self, error):
        with self._lock:
            self._errors.setdefault(str(error), error)
        return error

    def find(self, message):
        """The recorded error whose text `message` holds, or None."""
        with self._lock:
            for text, error in self._errors.items():
                if text in message:
                    return error
        return None


def raising_data_errors(dataset, errors):
    """`dataset`, unchanged, whose Python iterators raise the `DataError`s
    recorded in `errors` (a `DataErrors`) instead of TensorFlow's.

    Example:
    ```python
    errors = DataErrors()
    ds = raising_data_errors(ds, errors)  # decoders call errors.record(e)
    for batch in ds:  # raises keras_mm.data.DataError
        ...
    ```
    """
    import tensorflow as tf
    from tensorflow.python.data.ops import dataset_ops
    from tensorflow.python.data.ops import iterator_ops

    # A true tf.data iterator, so Keras' tensorflow trainer still runs it
    # inside its compiled step; only Python's `next` is changed.
    class DataErrorIterator(iterator_ops.OwnedIterator):
        def __next__(self):
            try:
                return super().__next__()
            except tf.errors.OpError as e:
                error = errors.find(e.message or "")
                if error is None:
                    raise
                raise error from None

    class DataErrorDataset(dataset_ops.UnaryUnchangedStructureDataset):
        def __init__(self, input_dataset):
            super().__init__(input_dataset, input_dataset._variant_tensor)
            self.data_errors = errors

        def __iter__(self):
            iterator = super().__iter__()
            if type(iterator) is iterator_ops.OwnedIterator:
                iterator.__class__ = DataErrorIterator
            return iterator

    return DataErrorDataset(dataset)


@contextlib.contextmanager
def raising_data_errors_of(*datasets):
    """Within it, TensorFlow's error for a `DataError` that one of
    `datasets` (from `raising_data_errors`) recorded is raised as that
    `DataError`; anything else passes through.

    Example:
    ```python
    with raising_data_errors_of(ds):
        model.fit(ds)  # DataError on every backend
    ```
    """
    try:
        yield
    except Exception as e:
        tf = sys.modules.get("tensorflow")
        if tf is None or not isinstance(e, tf.errors.OpError):
            raise
        for dataset in datasets:
            errors = getattr(dataset, "data_errors", None)
            error = errors.find(e.message or "") if errors else None
            if error is not None:
                raise error from None
        raise
