"""Magnitude pruning: schedule, sparsity, accuracy and compressed size."""

import numpy as np
import pytest

from keras_mm.compression import MagnitudePruning
from keras_mm.compression import polynomial_sparsity
from keras_mm.compression import sparsity_report
from keras_mm.compression import strip_pruning
from keras_mm.compression import zipped_size


def test_polynomial_schedule():
    assert polynomial_sparsity(0, 0, 100, 0.0, 0.8) == 0.0
    assert polynomial_sparsity(100, 0, 100, 0.0, 0.8) == pytest.approx(0.8)
    assert polynomial_sparsity(500, 0, 100, 0.0, 0.8) == pytest.approx(0.8)
    # Cubic: most of the pruning happens early.
    assert polynomial_sparsity(50, 0, 100, 0.0, 0.8) == pytest.approx(0.7)
    values = [polynomial_sparsity(s, 0, 100, 0.0, 0.8) for s in range(101)]
    assert np.all(np.diff(values) >= 0)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="target_sparsity"):
        MagnitudePruning(1.0, end_step=10)
    with pytest.raises(ValueError, match="end_step"):
        MagnitudePruning(0.5, end_step=0)


@pytest.mark.large
def test_80_percent_sparsity_keeps_recall_and_shrinks_zip(small_clip):
    data, dense, dense_r5 = small_clip
    pruned = data.build(32)
    pruned.set_weights(dense.get_weights())
    dense_zip = zipped_size(dense)
    steps = 8 * (1024 // 64)
    # Reach 80% after a quarter of fine-tuning, then let the rest recover.
    pruning = MagnitudePruning(0.8, end_step=steps // 4)
    data.fit(pruned, epochs=8, callbacks=[pruning], learning_rate=1e-3)
    # The in-step constraint already holds the target sparsity.
    assert sparsity_report(pruned)["global"] >= 0.79
    strip_pruning(pruned, 0.8)
    report = sparsity_report(pruned)
    assert report["global"] == pytest.approx(0.8, abs=0.01)
    assert all(s >= 0.79 for s in report["layers"].values())
    pruned_r5 = data.r5(pruned)
    assert dense_r5 > 0.3  # The dense model learned something.
    assert pruned_r5 >= dense_r5 - 0.05
    # Zeros compress: the zipped weights shrink markedly.
    assert zipped_size(pruned) < 0.7 * dense_zip


@pytest.mark.large
def test_pruning_curve_benchmark_tiny(tmp_path):
    import json
    import os
    import sys

    # In this process: a fresh interpreter would only add its start-up.
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    sys.path.insert(0, os.path.join(root, "benchmarks"))
    import pruning_curve

    out = tmp_path / "pruning_curve.json"
    pruning_curve.main(["--tiny", "--out", str(out), "--plot-dir",
                        str(tmp_path)])
    result = json.loads(out.read_text())
    dense, pruned = result["points"]
    assert dense["target_sparsity"] == 0.0 and dense["sparsity"] < 0.05
    assert pruned["sparsity"] == pytest.approx(0.8, abs=0.01)
    assert 0 <= pruned["r5"] <= 1 and result["dense_r5"] == dense["r5"]
    # Zeros compress: the pruned weights zip smaller.
    assert pruned["zip_bytes"] < 0.8 * dense["zip_bytes"]
    assert result["machine"]["backend"]
