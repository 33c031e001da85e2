"""The values a tuner tries, from cheap to thorough.

A tuner raises a search setting (`nprobe`, `k_factor`) until recall
reaches its target and keeps the first that does; the step between two
tries bounds how much more work than needed the kept one does.
"""

import numpy as np

from keras_mm.indexing.recall import recall_lower_bound


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


def first_passing(steps, apply, measure, search, target_recall):
    """Applies each of `steps` in turn (`apply(step)`) until the recall
    `measure(search, per_query=True)` gives, less one standard error
    (`recall.recall_lower_bound`), reaches `target_recall`.

    Returns `(step, mean recall)` of the step kept: the first passing
    one, or the last tried when none passes. Each step searches once.

    Example:
    ```python
    nprobe, recall = first_passing(
        (1, 2, 4), lambda n: set_nprobe(index, n), measure,
        lambda q, n: index.search(q, n)[1], 0.95)
    ```
    """
    for step in steps:
        apply(step)
        recalls = measure(search, per_query=True)
        if recall_lower_bound(recalls) >= target_recall:
            break
    return step, float(np.mean(recalls))
