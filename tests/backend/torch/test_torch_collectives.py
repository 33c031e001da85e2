"""keras_mm's torch collectives: identities in one process, gather with
gradients and gradient averaging over two gloo processes, and a clear error
when a process is gone."""

import json
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="torch.distributed collectives")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def test_identities_without_a_process_group():
    import torch

    from keras_mm.backend.torch import collectives

    x = torch.ones(2, 3)
    assert collectives.all_gather_with_grad(x) is x
    assert collectives.replica_info() == (0, 1)
    assert collectives.process_shard() == (0, 1)
    grads = [x, None]
    assert collectives.average_gradients(grads) is grads


def run_pair(tmp_path, *extra, timeout=120):
    from keras_mm.cli.commands.launch import free_ports

    port = free_ports(1)[0]
    env = {**os.environ, "PYTHONPATH": ROOT}
    processes = [subprocess.Popen(
        [sys.executable, os.path.join(HERE, "gloo_pair.py"), str(rank),
         str(port), str(tmp_path), *extra],
        env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
        for rank in (0, 1)]
    try:
        errors = [p.communicate(timeout=timeout)[1] for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
    results = [tmp_path / f"{r}.json" for r in (0, 1)]
    assert results[0].exists(), errors[0][-3000:]
    return [json.loads(r.read_text()) for r in results if r.exists()]


def test_gather_with_grad_gives_the_global_loss_gradient(tmp_path):
    results = run_pair(tmp_path)
    rows = np.arange(6.0).reshape(3, 2)
    rows = np.concatenate([rows[0:2], rows[1:3]])  # rank 0's, then rank 1's
    weights = np.arange(1.0, 9.0).reshape(4, 2)
    # d/d rows of sum((rows * w)^2), every process adding the same loss.
    global_grad = 2 * rows * weights**2
    for rank, result in enumerate(results):
        assert result["info"] == [rank, 2]
        np.testing.assert_allclose(result["gathered"], rows)
        np.testing.assert_allclose(
            result["grad"], 2 * global_grad[2 * rank:2 * rank + 2])
    np.testing.assert_allclose(results[0]["averaged"], np.mean(
        [results[0]["grad"], results[1]["grad"]], axis=0))


def test_a_missing_process_is_a_clear_error(tmp_path):
    start = time.monotonic()
    results = run_pair(tmp_path, "exit")
    assert time.monotonic() - start < 120
    message = results[0]["error"]
    assert message and "data-parallel training stopped" in message
    assert "process 0 of 2" in message and "resume" in message
