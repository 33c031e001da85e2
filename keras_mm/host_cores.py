"""How many cores this process may use: the one count that the CLI's host
line, the sharded index scan and anything else sizing its threads read.

Example:
```python
from keras_mm.host_cores import usable_cores

usable_cores()  # 2 on a 2-core machine, fewer under `taskset`
```
"""

import os


def usable_cores():
    """The cores in this process's affinity mask (at least 1); the CPU
    count where the OS has no affinity call."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
