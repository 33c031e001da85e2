"""Grid, random and TPE search (optuna) write a sorted results table;
the median pruner stops bad trials."""

import csv

import keras
import numpy as np
import pytest

from keras_mm.training import TrainConfig
from keras_mm.training import hyperparameter_search


def _build():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile_kwargs = {"loss": "mse"}
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")


def test_grid_search_table(tmp_path):
    path = str(tmp_path / "search.csv")
    rows = hyperparameter_search(
        _build, _data(), {"learning_rate": [1e-1, 1e-4],
                          "batch_size": [16, 32]},
        TrainConfig(epochs=3, warmup_fraction=0.0, weight_decay=0.0),
        results_path=path, print_fn=lambda *_: None)
    assert len(rows) == 4
    assert [r["score"] for r in rows] == sorted(r["score"] for r in rows)
    assert rows[0]["learning_rate"] == 1e-1  # the large lr learns faster
    with open(path) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 4 and "score" in table[0]


def test_random_search_draws_trials():
    rows = hyperparameter_search(
        _build, _data(), {"learning_rate": [1e-2, 1e-3],
                          "weight_decay": [0.0, 0.1]},
        TrainConfig(epochs=1, batch_size=32), mode="random", trials=2,
        validation_data=_data(), print_fn=lambda *_: None)
    assert len(rows) == 2
    assert all(np.isfinite(r["score"]) for r in rows)


def test_tpe_is_seeded_and_draws_distinct_settings():
    space = {"learning_rate": [1e-1, 1e-2, 1e-3], "weight_decay": [0.0, 0.1]}
    runs = [hyperparameter_search(
        _build, _data(), space, TrainConfig(epochs=2, batch_size=32, verbose=0),
        mode="tpe", trials=4, seed=3, print_fn=lambda *_: None)
        for _ in range(2)]
    settings = [[(r["learning_rate"], r["weight_decay"]) for r in rows]
                for rows in runs]
    assert len(runs[0]) == 4 and len(set(settings[0])) == 4
    assert sorted(settings[0]) == sorted(settings[1])  # same seed, same draws


def test_median_pruner_stops_a_bad_trial():
    # Seed 1 makes the grid run the learning trial first; the second (a
    # tiny learning rate) is worse than it after an epoch and is pruned.
    rows = hyperparameter_search(
        _build, _data(), {"learning_rate": [1e-1, 1e-6]},
        TrainConfig(epochs=4, batch_size=32, warmup_fraction=0.0, verbose=0),
        mode="grid", prune=True, seed=1, print_fn=lambda *_: None)
    states = {r["learning_rate"]: r["state"] for r in rows}
    assert states == {1e-1: "complete", 1e-6: "pruned"}
    assert rows[0]["state"] == "complete"


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        hyperparameter_search(_build, _data(), {"learning_rate": [1e-3]},
                              mode="bayes")
