import os
import subprocess
import sys

import keras
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


# The script is argument parsing around `run_quickstart(size="tiny")`, which
# tests/test_quickstart.py (the `quickstart_run` fixture) runs and checks
# under every backend; the script itself needs one run.
@pytest.mark.skipif(
    keras.config.backend() != "torch",
    reason="wraps run_quickstart, checked under every backend by "
           "tests/test_quickstart.py: the script runs once, under torch")
def test_quickstart_example_runs_tiny(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "quickstart.py"), "--tiny",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "image→text R@5 =" in result.stdout
    assert (tmp_path / "summary.json").exists()
