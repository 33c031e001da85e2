"""Saved models go round all three backends, checked in one test run.

The CI runs the suite once per backend. A cross-backend check saves models
under the backend of the run, then a process under each other backend loads
every copy saved so far, compares its outputs and saves its own copy for the
next; finally this process loads the copies the others saved. So one run
checks all six (save under X, load under Y) pairs, and the check only needs
to run under one backend of the matrix: `runs_once` skips it elsewhere.
"""

import os

import keras
import numpy as np
import pytest

from keras_mm.testing import run_in_backend

BACKENDS = ("jax", "tensorflow", "torch")
# The cheapest backend run of the CI matrix hosts the all-backend checks.
RUN_UNDER = "torch"

runs_once = pytest.mark.skipif(
    keras.config.backend() != RUN_UNDER,
    reason=f"covers all backends itself (saves here, loads and re-saves "
           f"under the other two): runs once, under {RUN_UNDER}",
)

_CHAIN = """
import json, os, numpy as np, keras_mm
{outputs_source}
results = []
for folder in {folders!r}:
    models = {{n: keras_mm.load_model(os.path.join(folder, n + ".keras"))
              for n in {names!r}}}
    out = outputs(models, {data!r})
    results.append({{k: np.asarray(v).tolist() for k, v in out.items()}})
os.makedirs({save_to!r})
for n, model in models.items():
    model.save(os.path.join({save_to!r}, n + ".keras"))
print(json.dumps(results))
"""


def _compare(actual, expected, where, atol):
    assert set(actual) == set(expected), where
    for key, value in expected.items():
        diff = np.abs(np.asarray(actual[key], "float64")
                      - np.asarray(value, "float64")).max()
        assert diff <= atol, f"{key} differs by {diff} {where}"


def check_across_backends(folder, names, outputs_source, expected,
                          atol=1e-4):
    """Checks `<folder>/<name>.keras` round all backends against `expected`.

    `outputs_source` defines `outputs(models, data)` -> {key: array}: it
    gets {name: loaded model} and `folder` (where the test keeps its
    inputs), and must give `expected` for the models saved here.
    """
    here = keras.config.backend()
    folder = str(folder)
    saved = [(here, folder)]
    for other in (b for b in BACKENDS if b != here):
        save_to = os.path.join(os.path.dirname(folder),
                               f"{os.path.basename(folder)}_{other}")
        code = _CHAIN.format(outputs_source=outputs_source,
                             folders=[f for _, f in saved], names=list(names),
                             data=folder, save_to=save_to)
        results = run_in_backend(other, code)
        assert len(results) == len(saved)
        for (source, _), actual in zip(saved, results):
            _compare(actual, expected,
                     f"saved under {source}, loaded under {other}", atol)
        saved.append((other, save_to))
    import keras_mm

    namespace = {"np": np}
    exec(outputs_source, namespace)
    for source, path in saved[1:]:
        models = {n: keras_mm.load_model(os.path.join(path, n + ".keras"))
                  for n in names}
        actual = namespace["outputs"](models, folder)
        _compare(actual, expected,
                 f"saved under {source}, loaded under {here}", atol)
