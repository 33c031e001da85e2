"""Wrong usage prints one clear line and exits 2, never a traceback."""

import os
import subprocess
import sys

import pytest

from keras_mm.cli.main import main


@pytest.mark.parametrize(
    "argv, fragment",
    [
        ([], "a command is required"),
        (["no-such-command"], "invalid choice"),
        (["quickstart", "--size", "huge"], "invalid choice"),
        (["quickstart", "--no-such-flag"], "unrecognized arguments"),
        (["quickstart", "--seed", "abc"], "invalid int value"),
    ],
)
def test_wrong_usage_exits_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert fragment in err
    assert "Traceback" not in err


def test_console_script_reports_usage_error_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "keras_mm.cli.main", "quickstart", "--bad"],
        capture_output=True, text=True, env={**os.environ},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: keras-mm")
