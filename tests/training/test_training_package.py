"""keras_mm.training loads its names lazily, and still registers them."""

import subprocess
import sys


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_run_modules_import_without_keras():
    code = ("import sys\n"
            "import keras_mm.training.run_folder\n"
            "import keras_mm.training.run_options\n"
            "import keras_mm.training.start\n"
            "import keras_mm.cli.commands.train\n"
            "print('keras' in sys.modules)")
    assert _run(code) == "False"


def test_names_load_on_access_and_import_all_registers_them():
    code = ("import keras, keras_mm\n"
            "keras_mm.import_all()\n"
            "print(keras.saving.get_registered_object("
            "'keras_mm>ScaledAdamW') is not None)\n"
            "from keras_mm.training import train, TrainConfig\n"
            "print(callable(train), TrainConfig().epochs)")
    assert _run(code).splitlines()[-2:] == ["True", "True 1"]
