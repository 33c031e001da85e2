"""`python -m keras_mm._dev.layers`: the import order of keras_mm."""

import os
import subprocess
import sys
import textwrap

from keras_mm._dev import layers

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Modules on their way into keras_mm/backend/ (imported lazily by the
# optimizer and ContrastiveModel); nothing else may break the order.
def _plant(root, files):
    for path, text in files.items():
        full = os.path.join(root, "keras_mm", path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(textwrap.dedent(text))


def test_every_entry_of_keras_mm_has_a_layer():
    entries = {name[:-3] if name.endswith(".py") else name
               for name in os.listdir(os.path.join(REPO, "keras_mm"))
               if not name.startswith(("__", "."))}
    assert {e for e in entries if layers.rank_of(e) is None} == set()


def test_real_tree_follows_the_layer_order():
    problems, _ = layers.find_violations(REPO)
    assert problems == []


def test_planted_violations_are_reported_with_file_and_line(tmp_path):
    _plant(tmp_path, {
        "__init__.py": "",
        "tasks/__init__.py": "",
        "tasks/model.py": """\
            import keras

            def default_optimizer():
                from keras_mm.training.trainer import train
                return train
            """,
        "training/__init__.py": "",
        "training/trainer.py": "from keras_mm.tasks import model\n",
        "serving/__init__.py": "",
        "serving/demo.py": "from keras_mm.quickstart import build_model\n",
        "evaluation/__init__.py": "",
        "evaluation/report.py": "from keras_mm.datasets import shapes\n",
        "datasets/__init__.py": "",
        "datasets/shapes.py": "",
        "quickstart.py": "build_model = None\n",
        "data/__init__.py": "",
        "data/a.py": "from keras_mm.data import b\n",
        "data/b.py": """\
            def read():
                from keras_mm.data.a import x
                return x
            """,
    })
    problems, graph = layers.find_violations(str(tmp_path))
    text = "\n".join(problems)
    # An import inside a function counts, named by file and line.
    assert os.path.join("keras_mm", "tasks", "model.py") + ":4" in text
    assert "keras_mm.tasks.model imports keras_mm.training.trainer" in text
    assert "keras_mm.serving.demo imports keras_mm.quickstart" in text
    assert ("keras_mm.evaluation.report imports keras_mm.datasets.shapes; "
            "only applications") in text
    assert any(p.startswith("import cycle between modules: keras_mm.data.a")
               for p in problems)
    assert any(p.startswith("import cycle between subpackages:")
               and "tasks" in p and "training" in p for p in problems)
    assert graph["tasks"] == {"training"}


def test_clean_tree_passes_and_the_command_exits_0(tmp_path):
    _plant(tmp_path, {
        "__init__.py": "",
        "layers/__init__.py": "",
        "layers/dense.py": "from keras_mm.api_export import export\n",
        "api_export.py": "export = None\n",
        "training/__init__.py": "from keras_mm.layers import dense\n",
        "cli/__init__.py": "from keras_mm.datasets import shapes\n",
        "datasets/__init__.py": "",
        "datasets/shapes.py": "",
    })
    assert layers.find_violations(str(tmp_path))[0] == []
    done = subprocess.run(
        [sys.executable, "-m", "keras_mm._dev.layers", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "training -> layers" in done.stdout


def test_command_exits_1_naming_the_import(tmp_path):
    _plant(tmp_path, {
        "__init__.py": "",
        "tasks/__init__.py": "from keras_mm.training import trainer\n",
        "training/__init__.py": "",
        "training/trainer.py": "",
    })
    done = subprocess.run(
        [sys.executable, "-m", "keras_mm._dev.layers", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1
    assert (os.path.join("keras_mm", "tasks", "__init__.py") + ":1"
            in done.stdout)
