import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_quickstart_example_runs_tiny(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "quickstart.py"), "--tiny",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "image→text R@5 =" in result.stdout
    assert (tmp_path / "summary.json").exists()
