"""Backend-specific code lives in keras_mm/backend/ only (the checker in
keras_mm/_dev/backend_boundary.py), with a planted violation per rule."""

import os
import subprocess
import sys
import textwrap

import pytest

from keras_mm._dev import backend_boundary
from keras_mm._dev.backend_boundary import ALLOWLIST
from keras_mm._dev.backend_boundary import check_source
from keras_mm._dev.backend_boundary import stale_allowlist
from keras_mm._dev.backend_boundary import violations

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

VIOLATING = {
    "reads_backend.py": """
        import keras

        def pick():
            return keras.config.backend()
    """,
    "reads_backend_alias.py": """
        from keras import backend as K

        NAME = K.backend()
    """,
    "compares_name.py": """
        from keras_mm import backend

        def fused():
            return backend.name() == "torch"
    """,
    "compares_in_tuple.py": """
        def is_graph(name):
            return name in ("jax", "tensorflow")
    """,
    "imports_torch.py": """
        import torch
    """,
    "imports_jax_in_function.py": """
        def grads():
            import jax.numpy as jnp
            return jnp
    """,
    "imports_from_tensorflow.py": """
        from tensorflow.core.framework import summary_pb2
    """,
    "imports_jaxlib.py": """
        import jaxlib
    """,
    "imports_dynamically.py": """
        import importlib

        tf = importlib.import_module("tensorflow")
    """,
}


def _write_tree(tmp_path, modules):
    for name, source in modules.items():
        path = tmp_path / "keras_mm" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


@pytest.mark.parametrize("name", sorted(VIOLATING))
def test_a_planted_violation_is_reported(tmp_path, name):
    _write_tree(tmp_path, {name: VIOLATING[name]})
    found = violations(str(tmp_path), allowlist={})
    assert found and all(v.startswith(f"keras_mm/{name}:") for v in found)


def test_backend_package_and_allowlisted_uses_pass(tmp_path):
    _write_tree(tmp_path, {
        "backend/torch/gradients.py": "import torch\nimport keras\n"
                                      "B = keras.config.backend()\n",
        "data/pipeline.py": "import tensorflow as tf\n",
        "uses_native.py": "from keras_mm import backend\n"
                          "NAME = backend.name()\n"
                          "FAST = backend.native('gradients')\n"
                          "LABEL = {'backend': NAME, 'x': 'torch'}\n",
    })
    allowlist = {"keras_mm/data/pipeline.py": {
        "tensorflow": "tf.data input pipelines"}}
    assert violations(str(tmp_path), allowlist=allowlist) == []


def test_the_allowlist_names_the_framework_not_the_module(tmp_path):
    _write_tree(tmp_path, {"data/pipeline.py": "import tensorflow\n"
                                               "import torch\n"})
    allowlist = {"keras_mm/data/pipeline.py": {"tensorflow": "tf.data"}}
    found = violations(str(tmp_path), allowlist=allowlist)
    assert len(found) == 1 and "imports torch" in found[0]


def test_the_allowlist_does_not_excuse_backend_checks():
    source = "import keras\nimport tensorflow\nB = keras.config.backend()\n"
    path = "keras_mm/data/pipeline.py"
    found = check_source(source, path,
                         allowlist={path: {"tensorflow": "tf.data"}})
    assert len(found) == 1 and "keras.config.backend" in found[0]


def test_every_allowlist_entry_has_a_reason_and_is_still_used():
    for frameworks in ALLOWLIST.values():
        for framework, reason in frameworks.items():
            assert framework in backend_boundary.FRAMEWORKS
            assert reason.strip() and "\n" not in reason
    assert stale_allowlist(ROOT) == []


def test_the_command_prints_violations_and_exits_1(tmp_path):
    _write_tree(tmp_path, {"imports_torch.py": "import torch\n"})
    result = subprocess.run(
        [sys.executable, "-m", "keras_mm._dev.backend_boundary",
         str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 1
    assert "keras_mm/imports_torch.py:1: imports torch" in result.stdout


def test_keras_mm_keeps_backend_code_in_keras_mm_backend():
    found = violations(ROOT)
    assert found == [], "\n".join(found)
