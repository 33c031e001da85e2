"""Training logs (CSVLogger CSV, History JSON, JSON lines) as columns."""

import csv
import json
import os

# Looked for beside a model when no log is named.
LOG_NAMES = ("history.json", "training_log.csv", "log.csv", "metrics.jsonl",
             "training_log.jsonl", "history.csv")


def _columns_from_rows(rows):
    keys = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    columns = {}
    for key in keys:
        values = []
        for row in rows:
            try:
                values.append(float(row.get(key, "nan")))
            except (TypeError, ValueError):
                values.append(float("nan"))
        columns[key] = values
    return columns


def read_training_logs(path):
    """Reads a training log into `{"epoch": [...], "<metric>": [...]}`.

    Accepts `keras.callbacks.CSVLogger` files, a JSON object of lists (a
    `History.history` dump), a JSON list of per-epoch dicts, or JSON lines
    with one dict per epoch or step. Without an `"epoch"` (or `"step"`)
    column the rows are numbered from 0.

    Example:
    ```python
    logs = keras_mm.evaluation.read_training_logs("run/training_log.csv")
    logs["loss"][-1]
    ```
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"No training log at {path}")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".csv"):
        columns = _columns_from_rows(list(csv.DictReader(text.splitlines())))
    elif path.endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines()
                if line.strip()]
        columns = _columns_from_rows(rows)
    else:
        data = json.loads(text)
        if isinstance(data, dict) and "history" in data:
            data = data["history"]
        if isinstance(data, list):
            columns = _columns_from_rows(data)
        elif isinstance(data, dict):
            columns = {k: [float(v) for v in vals]
                       for k, vals in data.items() if isinstance(vals, list)}
        else:
            raise ValueError(f"Unrecognized training log format: {path}")
    if not columns or not any(columns.values()):
        raise ValueError(f"The training log {path} holds no values.")
    if "epoch" not in columns and "step" not in columns:
        length = max(len(v) for v in columns.values())
        columns["epoch"] = [float(i) for i in range(length)]
    return columns


def find_training_logs(directory):
    """The first known log file in `directory`, or None."""
    for name in LOG_NAMES:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    return None
