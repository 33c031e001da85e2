"""Runs a worker script in its own Python process, bounded in time."""

import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def worker_env(**extra):
    # A single-process run: no multi-process settings leak in.
    env = {k: v for k, v in os.environ.items()
           if k != "TF_CONFIG" and not k.startswith("KERAS_DISTRIBUTION_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(extra)
    return env


def run_bounded(argv, timeout, **env):
    """Runs `argv` in its own session; kills the whole group on timeout."""
    process = subprocess.Popen(
        argv, env=worker_env(**env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"{argv} ran past {timeout} s and was killed")
    return process.returncode, stdout, stderr


def run_worker(script, timeout, **env):
    """Runs `tests/distribution/<script>`; returns its `RESULT {json}`."""
    code, stdout, stderr = run_bounded(
        [sys.executable, os.path.join(HERE, script)], timeout, **env)
    assert code == 0, stderr[-3000:]
    line = next(l for l in stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])
