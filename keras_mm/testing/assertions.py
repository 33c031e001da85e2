"""Assertions that every keras_mm layer and model must pass."""

import json
import os
import subprocess
import sys

import keras
import numpy as np


def _as_list(outputs):
    return [np.asarray(keras.ops.convert_to_numpy(t))
            for t in keras.tree.flatten(outputs)]


def assert_round_trip(obj, inputs, tmp_dir, atol=1e-6, call_kwargs=None):
    """Checks `get_config → from_config` and a `.keras` save/load.

    For a layer, the outputs after `from_config` are only compared in shape
    (weights are fresh); after the `.keras` round trip they must match
    within `atol`. Returns the reloaded object.
    """
    import keras_mm

    call_kwargs = call_kwargs or {}
    expected = _as_list(obj(inputs, **call_kwargs))
    clone = obj.__class__.from_config(obj.get_config())
    cloned = _as_list(clone(inputs, **call_kwargs))
    assert [a.shape for a in cloned] == [a.shape for a in expected]
    if isinstance(obj, keras.Model):
        model = obj
    else:
        model = keras.Sequential([obj])
    path = os.path.join(str(tmp_dir), f"{obj.name}.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    if not isinstance(obj, keras.Model):
        reloaded = reloaded.layers[0]
    actual = _as_list(reloaded(inputs, **call_kwargs))
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, atol=atol, rtol=0)
    return reloaded


def run_in_backend(backend, code, timeout=300):
    """Runs Python `code` in a fresh process under `KERAS_BACKEND=backend`.

    The code may print one JSON object on its last line; it is returned.
    """
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(
            f"Subprocess under {backend} failed:\n{result.stderr[-3000:]}"
        )
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None
