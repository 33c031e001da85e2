import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.large
def test_data_pipeline_example_tiny(tmp_path):
    result = _load("data_pipeline").main(["--tiny", "--out", str(tmp_path)])
    assert np.isfinite(result["loss"]) and np.isfinite(result["stream_loss"])
    assert result["skipped"] == [{"missing_file": 1}]


def test_align_subtitles_example_tiny():
    summary = _load("align_subtitles").main(["--tiny"])
    assert summary["fraction_correct"] >= 0.95
    assert summary["naive_fraction_correct"] < 0.5
