"""examples/fast_training.py: in-process, and as a script that restarts
itself with glibc's huge-page tunable."""

import os
import subprocess
import sys

import pytest

from keras_mm.runtime import tuned_environ

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "fast_training.py")


def test_fast_training_example_trains_and_reports(load_example, capsys):
    module = load_example("fast_training")
    report = module.main(["--tiny"])
    assert report["samples_per_s"] > 0
    assert report["page_faults_per_step"] >= 0
    assert "samples_per_s:" in capsys.readouterr().out


@pytest.mark.skipif(not tuned_environ({}).get("GLIBC_TUNABLES"),
                    reason="glibc tunables only")
def test_as_a_script_it_runs_with_huge_pages():
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, EXAMPLE, "--tiny"], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "glibc_tunables: glibc.malloc.hugetlb=1" in out.stdout
