import sys

import pytest

from keras_mm.backend import installed
from keras_mm.cli import backend_flag


@pytest.fixture
def without_keras(monkeypatch):
    # The suite has loaded Keras; choose_backend then reports its backend.
    monkeypatch.delitem(sys.modules, "keras")


def test_flag_then_environment_then_fastest(without_keras):
    assert backend_flag.choose_backend("jax", {"KERAS_BACKEND": "torch"}) == (
        "jax", "--backend")
    assert backend_flag.choose_backend(None, {"KERAS_BACKEND": "torch"}) == (
        "torch", "KERAS_BACKEND")
    name, why = backend_flag.choose_backend(None, {})
    assert name == installed.fastest_installed()
    assert why.startswith("the fastest installed")


def test_the_default_is_remembered_across_the_restart(without_keras):
    env = {}
    first = backend_flag.use_backend(None, env)
    assert env["KERAS_BACKEND"] == first[0]
    # The restarted process (and its children) inherit the environment.
    assert backend_flag.choose_backend(None, env) == first


def test_the_loaded_keras_backend_wins_in_process(backend):
    assert backend_flag.choose_backend(None, {})[0] == backend


def test_backend_line_names_the_device(monkeypatch):
    monkeypatch.setattr(installed, "nvidia_gpus", lambda: [])
    line = backend_flag.backend_line("torch", "KERAS_BACKEND")
    assert line.startswith("[keras-mm] backend torch (KERAS_BACKEND) on "
                           "cpu (")
    assert "cores)" in line
