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


@keras_mm_export
class EpochStats(keras.callbacks.Callback):
    """Adds `learning_rate` and `samples_per_second` to the epoch logs.

    Placed before the callbacks that read epoch logs (`HistoryJson`,
    `keras.callbacks.TensorBoard`, `History`), which then record them.
    Samples/s counts the training batches of the epoch over the time from
    the epoch's start to its last batch (validation excluded).

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
        self._start = None
        self._end = None
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._end = self._start
        self._batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        learning_rate = current_learning_rate(self.model)
        if learning_rate is not None:
            logs["learning_rate"] = learning_rate
        seconds = (self._end or 0.0) - (self._start or 0.0)
        if self._batches and seconds > 0:
            logs["samples_per_second"] = (
                self._batches * self.batch_size / seconds)

    def get_config(self):
        return {"batch_size": self.batch_size}
