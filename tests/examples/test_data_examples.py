import numpy as np
import pytest


@pytest.mark.large
def test_data_pipeline_example_tiny(load_example, tmp_path):
    example = load_example("data_pipeline")
    result = example.main(["--tiny", "--out", str(tmp_path)])
    assert np.isfinite(result["loss"]) and np.isfinite(result["stream_loss"])
    assert result["skipped"] == [{"missing_file": 1}]


def test_align_subtitles_example_tiny(load_example):
    summary = load_example("align_subtitles").main(["--tiny"])
    assert summary["fraction_correct"] >= 0.95
    assert summary["naive_fraction_correct"] < 0.5
