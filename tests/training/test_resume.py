"""A run killed with SIGKILL and resumed ends with the uninterrupted weights."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_mm.training.checkpointing import latest_step

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import resume_worker  # noqa: E402


def _worker(ckpt, out, sleep):
    env = dict(os.environ, KERAS_BACKEND=keras.config.backend(),
               PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "resume_worker.py"), ckpt, out,
         str(sleep)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.mark.large
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    ckpt = str(tmp_path / "ckpt")
    out = str(tmp_path / "resumed.npz")
    total = 2 * 48 // 8
    proc = _worker(ckpt, out, sleep=0.5)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        step = latest_step(ckpt)
        if step is not None and step >= 4:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[0][-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = latest_step(ckpt)
    assert 4 <= killed_at < total  # killed mid-run, mid-epoch possible
    assert not os.path.exists(out)

    proc = _worker(ckpt, out, sleep=0.0)
    log = proc.communicate(timeout=240)[0]
    assert proc.returncode == 0, log[-2000:]
    assert f"resumed_from_step {killed_at}" in log

    model, report = resume_worker.run(checkpoint_dir="")
    assert report["resumed_from_step"] == 0
    expected = resume_worker.weights(model)
    with np.load(out) as resumed:
        assert set(resumed.files) == set(expected)
        for name in expected:
            np.testing.assert_allclose(resumed[name], expected[name],
                                       atol=1e-6, err_msg=name)
