"""Grid and random hyperparameter search write a sorted results table."""

import csv

import keras
import numpy as np

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
