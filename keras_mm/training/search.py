"""Hyperparameter search (grid or random) writing a results table."""

import csv
import dataclasses
import itertools
import random

from keras_mm.training.config import TrainConfig
from keras_mm.training.trainer import train


def hyperparameter_search(build_model, data, space, base_config=None,
                          mode="grid", trials=None, validation_data=None,
                          results_path=None, seed=0, print_fn=print):
    """Trains one run per setting of `space` and tabulates the results.

    Args:
        build_model: callable returning a fresh model (see `train`).
        data: training data (see `train`).
        space: dict of `TrainConfig` field -> list of values, e.g.
            `{"learning_rate": [1e-3, 3e-4], "batch_size": [16, 32]}`.
        mode: `"grid"` (every combination) or `"random"` (`trials` draws).
        validation_data: scored with `evaluate` (else the final train loss).
        results_path: CSV file to write (one row per trial, best first).

    Returns:
        List of result dicts sorted by score (lower is better).

    Example:
    ```python
    rows = keras_mm.training.hyperparameter_search(
        build, x, {"learning_rate": [1e-3, 1e-4], "weight_decay": [0, 0.05]},
        results_path="search.csv")
    ```
    """
    if mode not in ("grid", "random"):
        raise ValueError(f"mode must be 'grid' or 'random'. Received: {mode}")
    base_config = base_config or TrainConfig()
    keys = sorted(space)
    grid = list(itertools.product(*(space[k] for k in keys)))
    if mode == "random":
        grid = [tuple(random.Random(seed + i).choice(space[k]) for k in keys)
                for i in range(trials or len(grid))]
    rows = []
    for trial, values in enumerate(grid):
        config = dataclasses.replace(base_config, **dict(zip(keys, values)))
        model, report = train(build_model, data, config,
                              print_fn=lambda *_: None)
        score = report["final_loss"]
        if validation_data is not None:
            x, y = (validation_data if isinstance(validation_data, tuple)
                    else (validation_data, None))
            score = float(model.evaluate(x, y, verbose=0,
                                         return_dict=True)["loss"])
        rows.append({"trial": trial, **dict(zip(keys, values)),
                     "score": score, "seconds": round(report["seconds"], 2)})
    rows.sort(key=lambda r: r["score"])
    if results_path:
        with open(results_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print_fn(format_table(rows))
    return rows


def format_table(rows):
    """A markdown table of the trials, best first."""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(
            f"{row[k]:.4g}" if isinstance(row[k], float) else str(row[k])
            for k in header) + " |")
    return "\n".join(lines)
