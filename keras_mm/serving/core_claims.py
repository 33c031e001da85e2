"""Gives each replica on a machine cores of its own.

Ray's `num_cpus` only counts CPUs when it places replicas; the processes
still float over every core, so two replicas' model threads, event loops
and Ray's proxy all contend on all cores. A replica that claims its cores
(one lock file per core, held for the life of the process, so a killed
replica frees them) and pins itself to them keeps its compute threads on
warm caches, and one replica's traffic cannot borrow another's core.

Example:
```python
claim = claim_cores(1)   # e.g. (0,): this process now runs on core 0
```
"""

import fcntl
import os
import tempfile

CLAIMS_DIR = os.path.join(tempfile.gettempdir(), "keras_mm_core_claims")


def claim_cores(count, claims_dir=CLAIMS_DIR):
    """Locks `count` free cores of this process' affinity and pins the
    process to them. Returns the claimed cores, or `()` (and leaves the
    affinity alone) when fewer than `count` are free.

    The locks live as long as the process (their files stay open).
    """
    os.makedirs(claims_dir, exist_ok=True)
    held = []
    for core in sorted(os.sched_getaffinity(0)):
        if len(held) == count:
            break
        handle = open(os.path.join(claims_dir, f"core-{core}.lock"), "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        held.append((core, handle))
    if len(held) < count:
        for _, handle in held:
            handle.close()
        return ()
    cores = tuple(core for core, _ in held)
    # Affinity is per thread: pin the threads Ray started already too
    # (new threads inherit it from the thread that starts them).
    for thread in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(thread), cores)
        except (ProcessLookupError, PermissionError):
            pass  # The thread ended meanwhile.
    # Closing a handle would drop its lock: keep them with the process.
    _HELD.extend(handle for _, handle in held)
    return cores


_HELD = []
