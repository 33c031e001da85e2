"""Per-epoch logs written to a JSON file after every epoch."""

import json
import math
import os

import keras
import numpy as np

from keras_mm.api_export import keras_mm_export


def _number(value):
    value = float(np.asarray(value))
    return value if math.isfinite(value) else str(value)


@keras_mm_export
class HistoryJson(keras.callbacks.Callback):
    """Writes `[{"epoch": 0, "loss": ..., ...}, ...]` after each epoch.

    Each record holds every scalar of the epoch logs: the loss terms,
    `learning_rate` and `samples_per_second` (from `EpochStats`, which
    `keras_mm.training.train` puts first), `val_*` metrics and validation
    Recall@K (`keras_mm.evaluation.RetrievalCallback`, when it comes
    before this callback). The file is replaced atomically (temporary file
    + `os.replace`), so a kill never leaves it half written. Records of
    earlier epochs found in the file are kept (a resumed run goes on
    writing it); a record replaces those of its epoch and later ones.
    `keras_mm.evaluation.read_training_logs` reads it.

    Args:
        path: str. The JSON file.

    Example:
    ```python
    model.fit(x, epochs=2, callbacks=[
        keras_mm.training.HistoryJson("run/history.json")])
    ```
    """

    def __init__(self, path):
        super().__init__()
        self.path = str(path)
        self.records = self._read()

    def _read(self):
        if not os.path.exists(self.path):
            return []
        try:
            with open(self.path, encoding="utf-8") as f:
                records = json.load(f)
        except (OSError, ValueError):
            return []  # unreadable: rewritten from this run's epochs
        return records if isinstance(records, list) else []

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": int(epoch)}
        for key, value in (logs or {}).items():
            if np.ndim(value) == 0:
                record[key] = _number(value)
        self.records = [r for r in self.records
                        if r.get("epoch", -1) < epoch] + [record]
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.records, f, indent=1)
        os.replace(tmp, self.path)

    def get_config(self):
        return {"path": self.path}
