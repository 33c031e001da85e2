"""Shared fixtures. The suite runs once per KERAS_BACKEND."""

import os

# XLA on TensorFlow (keras_mm's "auto") compiles for seconds per model, which
# the suite's runs of a few steps never win back; test_jit_defaults.py checks
# the default itself. Set before any test so subprocesses inherit it.
os.environ.setdefault("KERAS_MM_TF_XLA", "0")
# The suite's cost on jax (and on TensorFlow's XLA paths) is compiling: a
# fresh XLA:CPU compile for every eager op of a new shape and every model's
# step, at 50-100 ms each, while the tiny shapes run in microseconds. These
# flags halve the compile time (jax suite ~40% faster); runtime numerics are
# unchanged (no fast-math). Users' runs keep XLA's defaults.
os.environ.setdefault("XLA_FLAGS", " ".join([
    "--xla_cpu_use_fusion_emitters=false",
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
]))

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
