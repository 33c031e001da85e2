"""Hyperparameter search on optuna (grid, random or TPE, with median
pruning) writing a results table."""

import csv
import dataclasses
import math
import time

import keras

from keras_mm.dependency_error import MissingDependencyError
from keras_mm.training.config import TrainConfig
from keras_mm.training.trainer import train

MODES = ("grid", "random", "tpe")


def _optuna():
    try:
        import optuna
    except ImportError as error:
        raise MissingDependencyError(
            "hyperparameter_search needs optuna: pip install "
            "'keras_mm[search]'") from error
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _sampler(optuna, mode, space, seed):
    if mode == "grid":
        return optuna.samplers.GridSampler(space, seed=seed)
    if mode == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


class _Pruning(keras.callbacks.Callback):
    """Reports each epoch's score to the trial; raises `TrialPruned`
    (out of `fit`) when the pruner says so."""

    def __init__(self, trial, key):
        super().__init__()
        self.trial, self.key = trial, key
        self.last = math.nan

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.key, (logs or {}).get("loss"))
        if value is None or not math.isfinite(value):
            return
        self.last = float(value)
        self.trial.report(self.last, epoch)
        if self.trial.should_prune():
            import optuna

            raise optuna.TrialPruned(f"epoch {epoch + 1}: {value:.4g}")


def hyperparameter_search(build_model, data, space, base_config=None,
                          mode="grid", trials=None, validation_data=None,
                          results_path=None, seed=0, print_fn=print,
                          prune=None):
    """Trains one run per trial of an optuna study over `space`.

    Args:
        build_model: callable returning a fresh model (see `train`).
        data: training data (see `train`).
        space: dict of `TrainConfig` field -> list of values, e.g.
            `{"learning_rate": [1e-3, 3e-4], "batch_size": [16, 32]}`.
        mode: `"grid"` (every combination, `GridSampler`), `"random"`
            (`RandomSampler`) or `"tpe"` (`TPESampler`), each seeded by
            `seed`. Random and TPE run `trials` distinct settings (default:
            the grid's size); a setting drawn again is not retrained.
        validation_data: scored with `evaluate` (else the final train loss);
            its per-epoch loss also drives pruning.
        results_path: CSV file to write (one row per trial, best first).
        prune: bool. Stop a trial whose epoch score is worse than the
            median of earlier trials at the same epoch
            (`optuna.pruners.MedianPruner`, after one finished trial).
            Default: on for `"random"` and `"tpe"`, off for `"grid"`.

    Returns:
        List of result dicts, one per trial: the finished ones sorted by
        score (lower is better), then the pruned ones (`"state":
        "pruned"`, scored by their last epoch).

    Example:
    ```python
    rows = keras_mm.training.hyperparameter_search(
        build, x, {"learning_rate": [1e-3, 1e-4], "weight_decay": [0, 0.05]},
        mode="tpe", trials=4, results_path="search.csv")
    ```
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}. Received: {mode}")
    optuna = _optuna()
    prune = mode != "grid" if prune is None else prune
    base_config = base_config or TrainConfig()
    keys = sorted(space)
    size = math.prod(len(space[k]) for k in keys)
    wanted = size if mode == "grid" else min(trials or size, size)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=1)
              if prune else optuna.pruners.NopPruner())
    study = optuna.create_study(direction="minimize", pruner=pruner,
                                sampler=_sampler(optuna, mode, space, seed))
    rows, seen = [], set()

    def objective(trial):
        values = tuple(trial.suggest_categorical(k, space[k]) for k in keys)
        if values in seen:
            raise optuna.TrialPruned("setting already tried")
        seen.add(values)
        config = dataclasses.replace(base_config, **dict(zip(keys, values)))
        row = {"trial": trial.number, **dict(zip(keys, values))}
        callback = _Pruning(trial, "val_loss" if validation_data is not None
                            else "loss")
        tick = time.perf_counter()
        try:
            model, report = train(
                build_model, data, config, print_fn=lambda *_: None,
                validation_data=validation_data, callbacks=[callback])
        except optuna.TrialPruned:
            rows.append({**row, "state": "pruned",
                         "score": callback.last, "seconds": round(
                             time.perf_counter() - tick, 2)})
            raise
        score = report["final_loss"]
        if validation_data is not None:
            x, y = (validation_data if isinstance(validation_data, tuple)
                    else (validation_data, None))
            score = float(model.evaluate(x, y, verbose=0,
                                         return_dict=True)["loss"])
        rows.append({**row, "state": "complete", "score": score,
                     "seconds": round(report["seconds"], 2)})
        return score

    # Duplicates drawn by random/TPE are pruned at once and drawn again,
    # within a bounded number of attempts.
    for _ in range(10 * size):
        if len(seen) >= wanted:
            break
        study.optimize(objective, n_trials=1)
    pruned = sum(r["state"] == "pruned" for r in rows)
    rows.sort(key=lambda r: (r["state"] == "pruned", r["score"]))
    if results_path and rows:
        with open(results_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if rows:
        print_fn(format_table(rows))
    if pruned:
        print_fn(f"{pruned} trial(s) pruned (MedianPruner)")
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
