"""The default progress display of `train`: a bar with samples/s and ETA."""

import sys
import time

import keras
import numpy as np

from keras_mm.api_export import keras_mm_export
from keras_mm.training.epoch_stats import throughput

# Seconds between progress lines when stdout is not a terminal (a log
# file gets a line now and then, not a redraw per batch).
_LOG_INTERVAL = 30.0


def _format_seconds(seconds):
    seconds = round(seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes >= 60:
        return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


@keras_mm_export
class ProgressBar(keras.callbacks.Callback):
    """Per-epoch progress: step, ETA, loss and samples/s.

    On a terminal (`verbose=1`) a `keras.utils.Progbar` redrawn as batches
    end; otherwise plain lines (`epoch 1/3 step 40/100 ETA 0:12 loss 2.31
    samples/s 412.0`), one every 30 s and one at the end of each epoch
    with the validation metrics (`verbose=2`: only the latter). The bar
    knows the run's plan, so a resumed run starts at the step it resumed
    from and a `steps`-limited run ends where it ends.

    Args:
        epochs: int. Epochs of the run.
        steps_per_epoch: int. Batches per epoch.
        batch_size: int. Samples per batch (for samples/s).
        initial_step: int. Global step the run starts (or resumes) at.
        total_steps: int. Steps of the whole run (default: every epoch in
            full).
        verbose: int. 1: updated during the epoch; 2: one line per epoch.

    Example:
    ```python
    bar = keras_mm.training.ProgressBar(epochs=2, steps_per_epoch=10,
                                        batch_size=32)
    model.fit(x, batch_size=32, epochs=2, verbose=0, callbacks=[bar])
    ```
    """

    def __init__(self, epochs, steps_per_epoch, batch_size, initial_step=0,
                 total_steps=None, verbose=1):
        super().__init__()
        self.epochs = int(epochs)
        self.steps_per_epoch = int(steps_per_epoch)
        self.batch_size = int(batch_size)
        self.initial_step = int(initial_step)
        self.total_steps = int(total_steps or epochs * steps_per_epoch)
        self.verbose = int(verbose)
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        start = epoch * self.steps_per_epoch
        self._epoch = epoch
        self._first = max(0, self.initial_step - start)
        self._last = min(self.steps_per_epoch, self.total_steps - start)
        self._step = self._first
        self._start = self._printed = time.perf_counter()
        self._first_end = self._end = self._start
        terminal = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self._bar = None
        if terminal and self.verbose == 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
            self._bar = keras.utils.Progbar(self._last, verbose=1)

    def _rate(self):
        return throughput(self._step - self._first, self._start,
                          self._first_end, self._end, self.batch_size)

    def _values(self, logs, validation=False):
        # Loss terms; at the epoch's end also validation metrics (Recall@K
        # but not the mean/median ranks, to keep the line short).
        values = [(k, float(v)) for k, v in (logs or {}).items()
                  if (k == "loss" or k.endswith("_loss")
                      or validation and k.startswith("val_")
                      and not k.endswith("_rank"))
                  and np.ndim(v) == 0]
        rate = self._rate()
        if rate is not None:
            values.append(("samples/s", rate))
        return values

    def _line(self, values, final):
        now = time.perf_counter()
        rate = self._rate()
        text = (f"epoch {self._epoch + 1}/{self.epochs} "
                f"step {self._step}/{self._last}")
        if final:
            text += f" {_format_seconds(now - self._start)}"
        elif rate:
            eta = (self._last - self._step) * self.batch_size / rate
            text += f" ETA {_format_seconds(eta)}"
        for name, value in values:
            text += f" {name} {value:.4g}" if name != "samples/s" else (
                f" {name} {value:.1f}")
        print(text, flush=True)
        self._printed = now

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        self._end = time.perf_counter()
        if self._step - self._first == 1:
            self._first_end = self._end
        if self._bar is not None:
            self._bar.update(self._step, self._values(logs), finalize=False)
        elif self.verbose == 1 and (
                time.perf_counter() - self._printed >= _LOG_INTERVAL):
            self._line(self._values(logs), final=False)

    def on_epoch_end(self, epoch, logs=None):
        values = self._values(logs, validation=True)
        if self._bar is not None:
            self._bar.update(self._step, values, finalize=True)
        else:
            self._line(values, final=True)

    def get_config(self):
        return {"epochs": self.epochs,
                "steps_per_epoch": self.steps_per_epoch,
                "batch_size": self.batch_size,
                "initial_step": self.initial_step,
                "total_steps": self.total_steps, "verbose": self.verbose}
