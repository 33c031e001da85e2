"""The values a tuner tries, from cheap to thorough.

A tuner raises a search setting (`nprobe`, `k_factor`) until recall
reaches its target and keeps the first that does; the step between two
tries bounds how much more work than needed the kept one does.
"""

import numpy as np


def geometric_steps(first, last, per_doubling=3):
    """Whole numbers from `first` to `last`, `per_doubling` steps each time
    the value doubles (duplicates at the small end dropped).

    Example:
    ```python
    geometric_steps(1, 16)  # (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
    ```
    """
    count = round(per_doubling * np.log2(last / first))
    values = first * 2.0 ** (np.arange(count + 1) / per_doubling)
    return tuple(sorted({int(round(v)) for v in values}))
