import os
import sys

import pytest

from keras_mm.export import ExportError
from keras_mm.export.backend_worker import run_backend_worker

WORKER = """
import json, os, sys
if sys.argv[1] == "fail":
    print("progress", file=sys.stderr)
    raise ValueError("layer 'tokens' has a dynamic shape")
print("some log line")
print(json.dumps({"backend": os.environ["KERAS_BACKEND"],
                  "args": sys.argv[1:]}))
"""


@pytest.fixture
def worker(tmp_path, monkeypatch):
    (tmp_path / "fake_export_worker.py").write_text(WORKER)
    path = os.pathsep.join([str(tmp_path), *sys.path])
    monkeypatch.setenv("PYTHONPATH", path)
    return "fake_export_worker"


def test_returns_the_last_json_line_under_the_named_backend(worker):
    result = run_backend_worker(worker, ["a", "--b", "c"], "torch", "Test")
    assert result == {"backend": "torch", "args": ["a", "--b", "c"]}


def test_failure_raises_export_error_with_the_worker_reason(worker):
    with pytest.raises(ExportError) as info:
        run_backend_worker(worker, ["fail"], "tensorflow", "Fake export")
    message = str(info.value)
    first_line = message.splitlines()[0]
    assert first_line == ("Fake export failed: ValueError: layer 'tokens' "
                          "has a dynamic shape")
    assert "progress" in message  # the stderr tail follows
