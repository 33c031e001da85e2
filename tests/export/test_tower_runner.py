import numpy as np
import pytest

from keras_mm.export import LiteRTRunner
from keras_mm.export import OnnxRunner
from keras_mm.export import TowerRunner


class _RowSum(TowerRunner):
    def __init__(self):
        self.seen = []

    def run_one(self, sample):
        self.seen.append({k: v.shape for k, v in sample.items()})
        return (sample["a"].sum(axis=1, keepdims=True)
                + sample["b"].sum(axis=1, keepdims=True))


def test_call_runs_batch_one_rows_and_stacks_in_order():
    runner = _RowSum()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = [[1.0], [2.0], [3.0]]  # lists are accepted too
    out = runner({"a": a, "b": b})
    np.testing.assert_allclose(out[:, 0], a.sum(1) + np.array([1, 2, 3]))
    assert out.shape == (3, 1)
    assert runner.seen == [{"a": (1, 4), "b": (1, 1)}] * 3


def test_run_one_is_abstract():
    with pytest.raises(NotImplementedError, match="run_one"):
        TowerRunner()({"a": np.zeros((1, 2))})


def test_export_runners_share_the_base():
    assert issubclass(OnnxRunner, TowerRunner)
    assert issubclass(LiteRTRunner, TowerRunner)
    assert OnnxRunner.__call__ is TowerRunner.__call__
    assert LiteRTRunner.__call__ is TowerRunner.__call__
