"""Runs an export worker module under another Keras backend."""

import json
import os
import subprocess
import sys


def run_backend_worker(module, args, backend, label):
    """Runs `python -m module *args` with `KERAS_BACKEND=backend`.

    The worker prints its result as JSON on its last stdout line.

    Args:
        module: str. The worker module, e.g. `"keras_mm.export.onnx_worker"`.
        args: list of str. Its command-line arguments.
        backend: str. The Keras backend it runs under.
        label: str. Names the step in the error message.

    Returns:
        The decoded JSON of the worker's last stdout line.

    Raises:
        ExportError: the worker failed; the message leads with the worker's
            own last `"Error: "` line (which names the layer) and ends with
            the tail of its stderr.
    """
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run([sys.executable, "-m", module, *args], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        from keras_mm.export.exportability import ExportError

        reason = [line for line in result.stderr.splitlines()
                  if "Error: " in line]
        raise ExportError(
            f"{label} failed: " + (reason[-1] if reason else "") + "\n"
            + result.stderr[-4000:]
        )
    return json.loads(result.stdout.strip().splitlines()[-1])
