"""torch data parallel: two gloo processes on 127.0.0.1 train the tiny CLIP
as one process on the global batch; a killed process stops the job with a
clear error and a rerun resumes to the same weights."""

import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from subprocess_utils import HERE
from subprocess_utils import ROOT
from subprocess_utils import run_bounded
from subprocess_utils import worker_env

pytestmark = [
    pytest.mark.skipif(keras.config.backend() != "torch",
                       reason="torch.distributed data parallel is torch's"),
    pytest.mark.large,
]
WORKER = os.path.join(HERE, "torch_ddp_worker.py")
RUNS = ("clip_1", "clip_2", "siglip_1", "siglip_2")
TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE",
                 "MASTER_ADDR", "MASTER_PORT")
# What a collective waits for a missing process, at most.
COLLECTIVE_TIMEOUT = 60


def env(**extra):
    base = {k: v for k, v in worker_env().items() if k not in TORCHRUN_VARS}
    return {**base, "KERAS_BACKEND": "torch",
            "KERAS_MM_COLLECTIVE_TIMEOUT": str(COLLECTIVE_TIMEOUT), **extra}


def launch(mode, out, timeout=400):
    """`keras-mm launch -n 2 -- python torch_ddp_worker.py MODE OUT`."""
    # launch sets each process's torchrun variables.
    code, _, stderr = run_bounded(
        [sys.executable, "-m", "keras_mm.cli.main", "launch", "-n", "2",
         "--timeout", str(timeout - 20), "--", sys.executable, WORKER,
         mode, str(out)],
        timeout=timeout, KERAS_BACKEND="torch",
        KERAS_MM_COLLECTIVE_TIMEOUT=str(COLLECTIVE_TIMEOUT))
    assert code == 0, stderr[-3000:]


def weights(path):
    with np.load(path) as data:
        return [data[k] for k in data.files]


def max_gap(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("torch_ddp")
    code, _, stderr = run_bounded(
        [sys.executable, WORKER, "parity", str(out)], timeout=400,
        KERAS_BACKEND="torch", WORLD_SIZE="1", RANK="0")
    assert code == 0, stderr[-3000:]
    launch("parity", out)
    return out


@pytest.mark.parametrize("run", RUNS)
def test_two_processes_equal_one_on_the_global_batch(runs, run):
    single = weights(runs / f"{run}_1_rank0.npz")
    ranks = [weights(runs / f"{run}_2_rank{r}.npz") for r in (0, 1)]
    assert len(single) > 10
    assert max_gap(ranks[0], ranks[1]) == 0.0
    assert max_gap(ranks[0], single) < 1e-5


def test_a_per_process_loss_differs(runs):
    # Each process seeing only its own 8 negatives is another objective.
    single = weights(runs / "clip_1_1_rank0.npz")
    local = weights(runs / "clip_local_2_rank0.npz")
    assert max_gap(local, single) > 1e-3


def test_killed_process_stops_the_job_and_a_rerun_resumes(runs, tmp_path):
    from keras_mm.cli.commands.launch import free_ports

    port = free_ports(1)[0]
    processes = [
        subprocess.Popen(
            [sys.executable, WORKER, "resume", str(tmp_path)],
            env=env(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE="2",
                    MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                    KILL_AT_STEP="3"),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True, cwd=ROOT)
        for r in (0, 1)]
    start = time.monotonic()
    try:
        stderr = processes[0].communicate(timeout=300)[1]
        processes[1].wait(timeout=30)
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
    # Process 1 died mid-run; process 0 fails at its next collective.
    assert processes[1].returncode == -9
    assert processes[0].returncode != 0
    assert "data-parallel training stopped" in stderr
    assert "resume" in stderr
    assert time.monotonic() - start < 300
    from keras_mm.training.checkpoint_files import latest_metadata

    assert latest_metadata(tmp_path / "checkpoints")["step"] == 2

    launch("resume", tmp_path)
    uninterrupted = weights(runs / "clip_1_2_rank0.npz")
    for r in (0, 1):
        resumed = weights(tmp_path / f"resumed_2_rank{r}.npz")
        assert max_gap(resumed, uninterrupted) < 1e-6
