import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_evaluate_example_runs_tiny(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "evaluate.py"), "--tiny",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "held-out image→text R@5 =" in result.stdout
    assert "zero-shot top-1" in result.stdout
    assert "long text embedding: shape (1, 128)" in result.stdout
    for name in ("model.keras", "vocab.txt", "training_log.csv",
                 "eval/report.json", "eval/training_curves.png",
                 "eval/attention_maps.png"):
        assert (tmp_path / name).exists(), name
