"""The tuners' steps: geometric, whole, ending where asked."""

import numpy as np

from keras_mm.indexing.tuning_steps import geometric_steps


def test_three_steps_per_doubling():
    assert geometric_steps(1, 16) == (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
    steps = geometric_steps(8, 2048)
    assert steps[0] == 8 and steps[-1] == 2048
    ratios = np.array(steps[1:]) / np.array(steps[:-1])
    assert ratios.max() <= 1.3 and ratios.min() > 1.2


def test_finer_steps_on_request():
    assert geometric_steps(4, 8, per_doubling=4) == (4, 5, 6, 7, 8)
