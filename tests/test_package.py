import subprocess
import sys

import keras_mm


def test_version_and_namespaces():
    assert keras_mm.__version__
    for name in ("backend", "layers", "models", "heads", "losses", "tasks",
                 "metrics", "optimizers", "datasets", "data", "export"):
        assert hasattr(keras_mm, name)


def test_importing_the_package_does_not_import_keras():
    code = "import sys, keras_mm; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "False"


def test_load_model_registers_classes_first(quickstart_run):
    out_dir, _ = quickstart_run
    code = (
        "import keras_mm; m = keras_mm.load_model("
        f"{str(out_dir / 'model.keras')!r}); print(type(m).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()
    assert out[-1] == "ContrastiveModel"
