"""The export and distillation examples run at tiny size."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "examples"))


@pytest.mark.large
def test_export_mobile_tiny(quickstart_run, tmp_path):
    import export_mobile

    from keras_mm.export.checked_export import INT8_CANDIDATES

    # The session's tiny quickstart model (trained under this backend):
    # training one more here would repeat tests/test_quickstart.py's run.
    model_dir, _ = quickstart_run
    report = export_mobile.main(["--tiny", "--out", str(tmp_path),
                                 "--model-dir", str(model_dir)])
    assert set(report["towers"]) == {"image", "text"}
    assert report["min_cosine"] >= 0.99
    for tower in report["towers"].values():
        assert tower["mode"] in INT8_CANDIDATES
        assert tower["size_bytes"] > 0


@pytest.mark.large
def test_distill_tiny():
    import distill

    result = distill.main(["--tiny"])
    assert result["student_params"] <= result["teacher_params"] / 4
    assert 0.0 <= result["student_r5"] <= 1.0
