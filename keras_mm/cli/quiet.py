"""Keeps the frameworks' logs and third-party warnings out of a command's
output (`keras-mm --verbose` shows them).

Three layers, each for what the one before cannot reach:
- `quiet_environ`: the frameworks' own log levels, read from the
  environment when TensorFlow / XLA / gRPC start (so set before any of them
  is imported; child processes inherit them);
- `quiet_python`: Python warnings from installed libraries and their
  loggers below ERROR (keras_mm's own warnings still show);
- `filter_native_stderr`: the lines C++ writes to standard error before
  those levels are read (absl's "before InitializeLog" notices, oneDNN and
  CUDA stubs at TensorFlow's import, LiteRT's delegate notices), dropped by
  `keras_mm.cli.stderr_filter` in a small process of its own.

Example:
```python
from keras_mm.cli import quiet

quiet.quiet_environ()
quiet.quiet_python()
```
"""

import atexit
import logging
import os
import subprocess
import sys
import warnings

# setdefault: a value the user set is kept.
QUIET_ENVIRON = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow and XLA C++: fatal only
    "TF_CPP_MAX_VLOG_LEVEL": "-1",
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
}
# Loggers of libraries that log progress notes at WARNING.
LIBRARY_LOGGERS = ("tensorflow", "jax", "jax._src.xla_bridge", "h5py",
                   "torch", "PIL", "matplotlib", "numexpr")


def quiet_environ(environ=None):
    """Sets the framework log levels in `environ` (default: this process's
    environment) unless already set."""
    environ = os.environ if environ is None else environ
    for key, value in QUIET_ENVIRON.items():
        environ.setdefault(key, value)


def quiet_python():
    """Ignores Python warnings raised outside keras_mm and lowers library
    loggers to ERROR."""
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module=r"keras_mm(\.|$)")
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def filter_native_stderr():
    """Routes file descriptor 2 of this process (and its children) through
    `keras_mm.cli.stderr_filter`; restores it, and waits for the filter to
    finish writing, at exit. Returns the filter's `Popen`, or None where
    it cannot start (the output is then left as it is)."""
    script = os.path.join(os.path.dirname(__file__), "stderr_filter.py")
    sys.stderr.flush()
    try:
        read_end, write_end = os.pipe()
        original = os.dup(2)
        process = subprocess.Popen(
            [sys.executable, "-S", "-u", script], stdin=read_end,
            stdout=original, close_fds=True, start_new_session=True)
    except OSError:
        return None
    os.close(read_end)
    os.dup2(write_end, 2)
    os.close(write_end)

    def restore():
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(original, 2)  # Our end of the pipe closes here.
        os.close(original)
        try:
            process.wait(timeout=5)  # Children may still hold the pipe.
        except subprocess.TimeoutExpired:
            pass

    atexit.register(restore)
    return process
