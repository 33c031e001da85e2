"""Shared fixtures. The suite runs once per KERAS_BACKEND."""

import keras
import pytest


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
