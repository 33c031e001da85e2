"""Shared fixtures. The suite runs once per KERAS_BACKEND."""

import os

# XLA on TensorFlow (keras_mm's "auto") compiles for seconds per model, which
# the suite's runs of a few steps never win back; test_jit_defaults.py checks
# the default itself. Set before any test so subprocesses inherit it.
os.environ.setdefault("KERAS_MM_TF_XLA", "0")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def backend():
    return keras.config.backend()


@pytest.fixture(scope="session")
def quickstart_run(tmp_path_factory):
    """A tiny quickstart run under the current backend: (out_dir, summary)."""
    from keras_mm.quickstart import run_quickstart

    out_dir = tmp_path_factory.mktemp("quickstart")
    summary = run_quickstart(str(out_dir), size="tiny", verbose=0)
    return out_dir, summary
