"""examples/fast_training.py: in-process, and as a script that restarts
itself with glibc's huge-page tunable."""

import math
import os
import subprocess
import sys

import keras
import pytest

from keras_mm.backend import tuned_environ

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "fast_training.py")


def test_fast_training_example_trains_and_reports(load_example, capsys):
    module = load_example("fast_training")
    report = module.main(["--tiny"])
    assert report["backend"] == keras.config.backend()
    assert report["precision"] == "float32"
    # In-process there is no restart: the report shows this process's env.
    assert report["glibc_tunables"] == os.environ.get("GLIBC_TUNABLES")
    assert math.isfinite(report["samples_per_s"])
    assert report["samples_per_s"] > 0
    assert math.isfinite(report["page_faults_per_step"])
    out = capsys.readouterr().out
    for key in report:
        assert f"{key}: " in out


def test_bf16_trains_in_mixed_precision_and_restores_the_policy(
        load_example):
    module = load_example("fast_training")
    report = module.main(["--tiny", "--precision", "bf16"])
    assert report["precision"] == "mixed_bfloat16"
    assert math.isfinite(report["samples_per_s"])
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.skipif(not tuned_environ({}).get("GLIBC_TUNABLES"),
                    reason="glibc tunables only")
def test_as_a_script_it_runs_with_huge_pages():
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, EXAMPLE, "--tiny"], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    tunables = tuned_environ(env)["GLIBC_TUNABLES"]  # this backend's
    assert "glibc.malloc.hugetlb=1" in tunables
    assert f"glibc_tunables: {tunables}\n" in out.stdout
