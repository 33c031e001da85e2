"""The training examples run at tiny size."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))


def test_finetune_lora_tiny(tmp_path):
    import finetune_lora

    result = finetune_lora.main(["--tiny", "--out", str(tmp_path)])
    assert result["adapter_ratio"] < 0.05
    assert result["merge_error"] < 1e-5


@pytest.mark.large
def test_staged_training_tiny(tmp_path):
    import staged_training

    report = staged_training.main(["--tiny", "--out", str(tmp_path)])
    assert set(report["stages"]) == {"unimodal_image", "unimodal_text",
                                     "alignment", "finetune"}
    assert os.path.exists(tmp_path / "report.json")
    stages = report["stages"]
    # The unimodal stages improve by a wide margin on every backend.
    assert stages["unimodal_image"]["improved"], report
    assert stages["unimodal_text"]["improved"], report
    if not report["all_improved"]:
        # Issue 5 point 6: at tiny size the alignment and fine-tuning gains
        # are within noise and not yet reliable on every backend.
        pytest.xfail(f"not every stage improved: {stages}")
