"""Stops training at the first non-finite loss, naming step and term."""

import math

import keras

from keras_mm.api_export import keras_mm_export


class NonFiniteLossError(RuntimeError):
    """Raised by `NonFiniteGuard`; the message names the step and term."""


@keras_mm_export
class NonFiniteGuard(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` when any logged loss is NaN or Inf.

    Every log entry whose name contains `"loss"` (the total and each named
    term, e.g. `contrastive_loss`) is checked after each batch.

    Example:
    ```python
    model.fit(x, callbacks=[keras_mm.training.NonFiniteGuard()])
    ```
    """

    def __init__(self, initial_step=0):
        super().__init__()
        self.step = int(initial_step)

    def get_config(self):
        return {"initial_step": self.step}

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        for name, value in (logs or {}).items():
            if "loss" not in name:
                continue
            value = float(keras.ops.convert_to_numpy(value))
            if not math.isfinite(value):
                self.model.stop_training = True
                raise NonFiniteLossError(
                    f"Non-finite loss term {name!r} = {value} at step "
                    f"{self.step}; stopping."
                )
