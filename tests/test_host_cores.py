"""The usable core count follows the affinity mask, not the machine."""

import os

import pytest

from keras_mm.host_cores import usable_cores


def test_counts_the_affinity_mask():
    assert usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"),
                    reason="no affinity call on this OS")
def test_follows_a_narrowed_mask():
    mask = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(mask)})
        assert usable_cores() == 1
    finally:
        os.sched_setaffinity(0, mask)
