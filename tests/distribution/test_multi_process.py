"""Two processes on 127.0.0.1, started by `keras-mm launch`, train one
model together and end with identical weights (JAX: keras.distribution
.initialize; TensorFlow: MultiWorkerMirroredStrategy)."""

import json
import sys

import keras
import numpy as np
import pytest

from subprocess_utils import HERE
from subprocess_utils import run_bounded

pytestmark = [
    pytest.mark.skipif(keras.config.backend() == "torch",
                       reason="torch: test_torch_data_parallel.py (each process"
                       " feeds its own shard)"),
    pytest.mark.large,
]


def test_two_processes_end_with_identical_weights(tmp_path):
    code, _, stderr = run_bounded(
        [sys.executable, "-m", "keras_mm.cli.main", "launch", "-n", "2",
         "--cpu-devices", "1", "--timeout", "300", "--", sys.executable,
         f"{HERE}/multi_process_worker.py", str(tmp_path)],
        timeout=330, KERAS_BACKEND=keras.config.backend(),
    )
    assert code == 0, stderr[-3000:]
    infos = [json.loads((tmp_path / f"info_{i}.json").read_text())
             for i in range(2)]
    for info in infos:
        assert info["process_count"] == 2
        assert info["devices"] == 2 and info["local_devices"] == 1
        assert info["steps"] == 3 and info["changed"]
    assert infos[0]["loss"] == infos[1]["loss"]
    weights = [np.load(tmp_path / f"weights_{i}.npz") for i in range(2)]
    assert len(weights[0].files) == len(weights[1].files) > 10
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])
