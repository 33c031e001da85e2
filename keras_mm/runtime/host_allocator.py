"""Transparent huge pages for glibc's malloc, set before the process starts.

XLA on the CPU (jax, and TensorFlow with `jit_compile=True`) allocates its
temporary buffers afresh on every step. glibc serves blocks of more than
32 MB with `mmap` and returns them on `free`, so every step faults each
4 KB page in again: on issue 10's CLIP that is ~100,000 (TensorFlow) to
~150,000 (jax) page faults per step of batch 64, about a fifth of the
step. The glibc tunable `glibc.malloc.hugetlb=1` makes malloc ask for
transparent huge pages (`madvise`), which cuts the faults ~200-fold with
the same memory use. jax on 2 cores: 76-84 -> 95-102 samples/s.

glibc reads tunables only when a process starts, so they cannot be set
from inside a running interpreter: `tuned_environ()` gives the environment
for a child process (the benchmarks and `keras-mm launch` use it), and
`reexec_with_tuned_allocator()` restarts the current command with it (the
`keras-mm` command does this first thing). Set `KERAS_MM_HOST_ALLOCATOR=0`
to keep the system's defaults. Off Linux/glibc, both do nothing.

Example:
```python
import subprocess, sys
from keras_mm.runtime import tuned_environ
subprocess.run([sys.executable, "train.py"], env=tuned_environ())
```
"""

import os
import platform
import sys

TUNABLES_ENV = "GLIBC_TUNABLES"
HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb"
OPT_OUT_ENV = "KERAS_MM_HOST_ALLOCATOR"
_OFF = ("0", "false", "off", "no")


def _has_glibc():
    return (sys.platform.startswith("linux")
            and platform.libc_ver()[0] == "glibc")


def _opted_out(environ):
    return environ.get(OPT_OUT_ENV, "1").strip().lower() in _OFF


def allocator_is_tuned(environ=None):
    """Whether `environ` (default: this process's) already sets glibc's
    huge-page tunable, to any value (a user's own value is kept)."""
    environ = os.environ if environ is None else environ
    tunables = environ.get(TUNABLES_ENV, "")
    return any(item.split("=")[0] == HUGE_PAGES_TUNABLE
               for item in tunables.split(":") if item)


def tuned_environ(environ=None):
    """A copy of `environ` (default: `os.environ`) in which glibc's malloc
    uses transparent huge pages; other tunables are kept. Returned
    unchanged (as a copy) off glibc, when opted out, or when the user
    already set the tunable."""
    env = dict(os.environ if environ is None else environ)
    if not _has_glibc() or _opted_out(env) or allocator_is_tuned(env):
        return env
    tunables = [t for t in env.get(TUNABLES_ENV, "").split(":") if t]
    env[TUNABLES_ENV] = ":".join(tunables + [f"{HUGE_PAGES_TUNABLE}=1"])
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
