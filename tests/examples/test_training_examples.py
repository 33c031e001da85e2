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
    # Issue 5 point 6: every stage improves its own held-out metric.
    for name, stage in stages.items():
        assert stage["improved"], (name, stage)
    assert report["all_improved"]
    # Losses go down, the fine-tuning accuracy goes up by a clear margin.
    assert stages["alignment"]["after"] < stages["alignment"]["before"] - 0.1
    assert stages["finetune"]["after"] > stages["finetune"]["before"] + 0.05
