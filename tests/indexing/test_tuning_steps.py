"""The tuners' steps: geometric, whole, ending where asked."""

import numpy as np

from keras_mm.indexing.tuning_steps import first_passing
from keras_mm.indexing.tuning_steps import geometric_steps


def test_three_steps_per_doubling():
    assert geometric_steps(1, 16) == (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
    steps = geometric_steps(8, 2048)
    assert steps[0] == 8 and steps[-1] == 2048
    ratios = np.array(steps[1:]) / np.array(steps[:-1])
    assert ratios.max() <= 1.3 and ratios.min() > 1.2


def test_finer_steps_on_request():
    assert geometric_steps(4, 8, per_doubling=4) == (4, 5, 6, 7, 8)


def test_first_passing_tunes_on_the_bound_and_searches_once_a_step():
    applied, searched = [], []
    # Each step's per-query recalls: mean 0.955 (bound 0.945), then 0.96
    # (bound 0.95), then 0.99.
    recalls = {1: [0.965, 0.945], 2: [0.97, 0.95], 3: [1.0, 0.98]}

    def measure(search, per_query=False):
        searched.append(applied[-1])
        return np.array(recalls[applied[-1]])

    step, recall = first_passing((1, 2, 3), applied.append, measure, None,
                                 0.95)
    assert step == 2 and np.isclose(recall, 0.96)
    assert applied == [1, 2] and searched == [1, 2]
    # None passes: the last step tried is kept, with its recall.
    applied.clear()
    step, recall = first_passing((1, 2), applied.append, measure, None,
                                 0.999)
    assert step == 2 and np.isclose(recall, 0.96)
