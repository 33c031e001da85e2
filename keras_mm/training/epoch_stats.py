"""Learning rate and samples/s added to each epoch's logs."""

import time

import keras

from keras_mm.api_export import keras_mm_export


def current_learning_rate(model):
    """The optimizer's learning rate now (schedules evaluated), or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def throughput(batches, start, first_end, end, batch_size):
    """Samples/s after the first batch (or over it when it is the only
    one); None before any batch."""
    if batches > 1 and end > first_end:
        return (batches - 1) * batch_size / (end - first_end)
    if batches == 1 and end > start:
        return batch_size / (end - start)
    return None


@keras_mm_export
class EpochStats(keras.callbacks.Callback):
    """Adds `learning_rate` and `samples_per_second` to the epoch logs.

    Placed before the callbacks that read epoch logs (`HistoryJson`,
    `keras.callbacks.TensorBoard`, `History`), which then record them.
    Samples/s is measured from the end of the epoch's first batch (whose
    time includes compiling and starting the input pipeline) to the end
    of its last, validation excluded; an epoch of one batch counts it.

    Args:
        batch_size: int. Samples per batch.

    Example:
    ```python
    history = model.fit(x, batch_size=32, epochs=2,
                        callbacks=[keras_mm.training.EpochStats(32)])
    history.history["samples_per_second"]
    ```
    """

    def __init__(self, batch_size):
        super().__init__()
        self.batch_size = int(batch_size)
        self._start = self._first_end = self._end = 0.0
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._first_end = self._end = self._start
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._end = time.perf_counter()
        if self._batches == 1:
            self._first_end = self._end

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        learning_rate = current_learning_rate(self.model)
        if learning_rate is not None:
            logs["learning_rate"] = learning_rate
        rate = throughput(self._batches, self._start, self._first_end,
                          self._end, self.batch_size)
        if rate is not None:
            logs["samples_per_second"] = rate

    def get_config(self):
        return {"batch_size": self.batch_size}
