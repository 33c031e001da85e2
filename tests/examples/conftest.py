"""Loads `examples/NAME.py` as a module, so a test calls its `main(argv)`
in-process (a subprocess would import Keras and the backend again)."""

import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.fixture
def load_example():
    def load(name):
        path = os.path.join(EXAMPLES, f"{name}.py")
        spec = importlib.util.spec_from_file_location(f"example_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
