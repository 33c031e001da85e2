"""glibc malloc settings for XLA's step buffers, set before the process starts.

XLA on the CPU allocates its temporary buffers afresh every step, and glibc
hands large blocks back to the system on `free`, so each step faults their
pages in again. `glibc.malloc.hugetlb=1` (transparent huge pages) cuts those
faults at no memory cost; on jax and torch malloc also keeps what it frees
(`RETAIN_TUNABLES`: one arena, no `mmap`, no trimming), trading peak memory
for steady step times. Measurements: benchmarks/README.md, "Page faults".

glibc reads tunables only when a process starts: `tuned_environ()` gives a
child process' environment (the benchmarks and `keras-mm launch` use it) and
`reexec_with_tuned_allocator()` restarts the current command with it (the
`keras-mm` command does this first). The backend is read as Keras reads it.
`KERAS_MM_HOST_ALLOCATOR` picks `auto` (the default above), `retain`,
`huge_pages`, or `0` for the system's defaults. Off Linux/glibc this does
nothing.

Example:
```python
import subprocess, sys
from keras_mm.backend import tuned_environ
subprocess.run([sys.executable, "train.py"], env=tuned_environ())
```
"""

import json
import os
import platform
import sys

TUNABLES_ENV = "GLIBC_TUNABLES"
HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb"
RETAIN_TUNABLES = {
    "glibc.malloc.arena_max": "1",  # one heap, so the next two apply
    "glibc.malloc.mmap_max": "0",  # large blocks from the heap, not mmap
    "glibc.malloc.trim_threshold": str(2**40),  # never give the heap back
}
OPT_OUT_ENV = "KERAS_MM_HOST_ALLOCATOR"
MODES = ("auto", "retain", "huge_pages")
_OFF = ("0", "false", "off", "no")


def _has_glibc():
    return (sys.platform.startswith("linux")
            and platform.libc_ver()[0] == "glibc")


def _parse(tunables):
    return dict(item.split("=", 1) if "=" in item else (item, "")
                for item in tunables.split(":") if item)


def allocator_is_tuned(environ=None):
    """Whether `environ` (default: this process's) already sets glibc's
    huge-page tunable, to any value (a user's own value is kept)."""
    environ = os.environ if environ is None else environ
    return HUGE_PAGES_TUNABLE in _parse(environ.get(TUNABLES_ENV, ""))


def keras_backend(environ=None):
    """The backend Keras will pick in a process started with `environ`:
    `KERAS_BACKEND`, else `keras.json` under `KERAS_HOME` (or `~/.keras`),
    else "tensorflow". Reads no module, so it is safe before Keras loads."""
    environ = os.environ if environ is None else environ
    if environ.get("KERAS_BACKEND"):
        return environ["KERAS_BACKEND"]
    home = environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


def allocator_mode(environ=None):
    """"retain", "huge_pages" or "off": what `tuned_environ(environ)` sets."""
    environ = os.environ if environ is None else environ
    mode = environ.get(OPT_OUT_ENV, "auto").strip().lower()
    if mode in _OFF or not _has_glibc():
        return "off"
    if mode in ("", "1", "auto"):
        return ("huge_pages" if keras_backend(environ) == "tensorflow"
                else "retain")
    if mode not in MODES:
        raise ValueError(
            f"{OPT_OUT_ENV}={environ[OPT_OUT_ENV]!r}: expected one of "
            f"{', '.join(MODES)} or 0.")
    return mode


def tuned_environ(environ=None):
    """A copy of `environ` (default: `os.environ`) with the glibc tunables
    of `allocator_mode(environ)` added. Tunables the user already set keep
    their value, others are kept as they are; returned unchanged (as a
    copy) off glibc or when opted out."""
    env = dict(os.environ if environ is None else environ)
    mode = allocator_mode(env)
    if mode == "off":
        return env
    wanted = {HUGE_PAGES_TUNABLE: "1"}
    if mode == "retain":
        wanted.update(RETAIN_TUNABLES)
    current = env.get(TUNABLES_ENV, "")
    missing = [f"{k}={v}" for k, v in wanted.items()
               if k not in _parse(current)]
    if missing:
        env[TUNABLES_ENV] = ":".join(
            [t for t in current.split(":") if t] + missing)
    return env


def reexec_with_tuned_allocator():
    """Restarts this command (same interpreter and arguments) with
    `tuned_environ()`, unless that changes nothing. Call it first thing in
    a script's `main`, before heavy imports: it does not return when it
    restarts the process."""
    env = tuned_environ()
    if env == dict(os.environ):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
