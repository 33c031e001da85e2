"""TensorBoard scalars per step and per epoch, and weight histograms, on
every backend (written with `keras_mm.training.summary_writer`)."""

import math
import os

import keras
import numpy as np

from keras_mm.api_export import keras_mm_export
from keras_mm.training.epoch_stats import current_learning_rate
from keras_mm.training.summary_writer import SummaryWriter


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@keras_mm_export
class TensorBoardLogger(keras.callbacks.Callback):
    """Writes a run's scalars and histograms under `log_dir`.

    The layout is Keras' `TensorBoard` callback's, so both read alike:
    `log_dir/train` holds `batch_loss` and `batch_learning_rate` every
    `update_freq` optimizer steps (step = the run's global step, resumes
    included), each epoch's logs as `epoch_<name>` (loss, learning_rate,
    samples_per_second, ...) and the trainable weights' histograms;
    `log_dir/validation` holds the `val_` logs (val_loss, Recall@K,
    zero-shot accuracy) as `epoch_<name>` without the prefix. Epoch
    records are numbered from 1 (the number of epochs done).

    Args:
        log_dir: str. The TensorBoard folder.
        update_freq: int. Steps between per-step scalars.
        histogram_freq: int. Epochs between weight histograms (0: none).
        initial_step: int. The global step the run starts from.

    Example:
    ```python
    model.fit(x, epochs=2, callbacks=[
        keras_mm.training.TensorBoardLogger("logs")])
    # tensorboard --logdir logs
    ```
    """

    def __init__(self, log_dir, update_freq=1, histogram_freq=1,
                 initial_step=0):
        super().__init__()
        if update_freq < 1:
            raise ValueError(
                f"update_freq must be >= 1. Received: {update_freq}")
        self.log_dir = log_dir
        self.update_freq = int(update_freq)
        self.histogram_freq = int(histogram_freq)
        self.step = int(initial_step)
        self._writers = {}

    def writer(self, run):
        """The `SummaryWriter` of `log_dir/run` (one per folder)."""
        if run not in self._writers:
            self._writers[run] = SummaryWriter(
                os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.update_freq:
            return
        train = self.writer("train")
        loss = _number((logs or {}).get("loss"))
        if loss is not None:
            train.scalar("batch_loss", loss, self.step)
        learning_rate = current_learning_rate(self.model)
        if learning_rate is not None:
            train.scalar("batch_learning_rate", learning_rate, self.step)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            value = _number(value)
            if value is None:
                continue
            run, name = (("validation", key[4:]) if key.startswith("val_")
                         else ("train", key))
            self.writer(run).scalar(f"epoch_{name}", value, epoch + 1)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            train = self.writer("train")
            for variable in self.model.trainable_weights:
                train.histogram(variable.path, np.asarray(
                    keras.ops.convert_to_numpy(variable), "float64"),
                    epoch + 1)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.flush()

    def get_config(self):
        return {"log_dir": self.log_dir, "update_freq": self.update_freq,
                "histogram_freq": self.histogram_freq}
