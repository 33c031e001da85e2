"""examples/distributed_training.py --tiny in a fresh process per backend."""

import os
import subprocess
import sys

import keras
import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BACKEND = keras.config.backend()


@pytest.mark.large
def test_distributed_example_runs_tiny():
    # torch: two processes (one device each) started by keras-mm launch.
    script = [sys.executable, os.path.join(ROOT, "examples",
                                           "distributed_training.py"),
              "--tiny", "--distribution", "data"]
    if BACKEND == "torch":
        script = [sys.executable, "-m", "keras_mm.cli.main", "launch", "-n",
                  "2", "--timeout", "380", "--", *script]
    else:
        script += ["--virtual-devices", "2"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env = {**env, "KERAS_BACKEND": BACKEND,
           "PYTHONPATH": os.path.abspath(ROOT)}
    result = subprocess.run(script, capture_output=True, text=True,
                            timeout=400, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(l for l in result.stdout.splitlines()
                if l.startswith("backend="))
    assert f"backend={BACKEND}" in line
    assert "devices=2" in line
    loss = float(line.split("loss=")[1].split()[0])
    assert 0.0 < loss < 10.0
