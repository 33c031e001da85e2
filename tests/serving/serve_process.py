"""`keras-mm serve` in a child process for the tests that need more than
one process (workers, Ray Serve): started in its own session so that its
workers stop with it, its output collected, and stopped however far it
got."""

import os
import signal
import subprocess
import sys
import threading
import time

from keras_mm.serving.server import free_port


class ServeProcess:
    """`with ServeProcess(args, ready) as server:` runs `keras-mm serve
    --port P *args` until `ready(output)` (all output so far, bytes) holds,
    failing with the output if it exits or `timeout` passes first; on exit
    sends `stop_signal` to its process group, then SIGKILL."""

    def __init__(self, args, ready, timeout=300, stop_signal=signal.SIGTERM):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["serve", "--port", str(self.port), *args]
        self.ready = ready
        self.timeout = timeout
        self.stop_signal = stop_signal
        self.lines = []

    @property
    def output(self):
        return b"".join(list(self.lines))

    def __enter__(self):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [os.getcwd(), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "keras_mm.cli.main", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        threading.Thread(target=lambda: self.lines.extend(
            self.process.stdout), daemon=True).start()
        deadline = time.monotonic() + self.timeout
        try:
            while not self.ready(self.output):
                assert self.process.poll() is None, (
                    self.output.decode()[-4000:])
                assert time.monotonic() < deadline, (
                    self.output.decode()[-4000:])
                time.sleep(0.5)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, self.stop_signal)
            self.process.wait(timeout=120)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)
