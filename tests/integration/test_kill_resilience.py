"""`keras-mm export` and `keras-mm train` killed at random moments: the
previous export stays intact or the new one is complete; training resumes
from a checkpoint that loads and ends with the uninterrupted weights."""

import json
import os
import subprocess
import sys

import keras
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KILLS = 20
SEED = 27
# What a kill can break is the command's files (checkpoints, exports), not
# the backend's arithmetic, which the resume tests cover on every backend:
# each loop runs once, under the backend whose suite ends first.


def runs_under(backend):
    return pytest.mark.skipif(
        keras.config.backend() != backend,
        reason=f"this kill loop runs once, under KERAS_BACKEND={backend}")


def _kill_worker(what, folder):
    env = dict(os.environ, KERAS_BACKEND=keras.config.backend(),
               PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "kill_worker.py"), what,
         str(folder), str(KILLS), str(SEED)],
        env=env, capture_output=True, text=True, timeout=3600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.large
@runs_under("jax")
def test_killed_exports_leave_the_previous_or_the_new_one(tmp_path):
    result = _kill_worker("export", tmp_path)
    states = [t["state"] for t in result["trials"]]
    assert len(states) == KILLS
    assert set(states) <= {"previous", "new"}, result["trials"]
    assert result["final"] == [] and result["leftovers"] == []


@pytest.mark.large
@runs_under("torch")
def test_killed_training_resumes_to_the_uninterrupted_weights(tmp_path):
    result = _kill_worker("train", tmp_path)
    assert len(result["trials"]) == KILLS
    for trial in result["trials"]:
        assert trial["problems"] == [], trial
    # Each chain of killed runs, finished, equals the uninterrupted run.
    assert result["runs"] and all(r["equal"] for r in result["runs"]), (
        result["runs"])
