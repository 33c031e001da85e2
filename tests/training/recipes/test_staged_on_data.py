"""`keras-mm train --recipe staged` on the user's data: an image folder of
three colour classes runs unimodal pretraining, alignment and fine-tuning,
each stage reporting its data, its start and its metric before and after;
bad stage data exits 2 before Keras loads."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_mm.cli.main import main

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 40),
           "blue": (40, 40, 220)}


def _image_folder(root, per_class, seed):
    """One sub-folder of PNGs per colour, with noise and a grey square."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for name, rgb in COLOURS.items():
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            pixels = np.clip(np.array(rgb) + rng.normal(0, 20, (32, 32, 3)),
                             0, 255).astype("uint8")
            x, y = rng.integers(0, 20, size=2)
            pixels[y:y + 12, x:x + 12] = 128
            Image.fromarray(pixels).save(
                os.path.join(root, name, f"{i}.png"))
    return str(root)


@pytest.mark.large
def test_staged_recipe_on_an_image_folder(tmp_path, capsys):
    import keras_mm

    train = _image_folder(tmp_path / "train", 12, seed=0)
    val = _image_folder(tmp_path / "val", 4, seed=1)
    unimodal = _image_folder(tmp_path / "unlabelled", 8, seed=2)
    run = str(tmp_path / "run")
    argv = ["train", "--recipe", "staged", "--model", "clip-tiny",
            "--train-data", train, "--val-data", val,
            "--unimodal-data", unimodal, "--out", run, "--batch-size", "8",
            "--epochs", "3", "--lr", "3e-3", "--verbose", "0"]
    assert main(argv) == 0
    with open(os.path.join(run, "report.json")) as f:
        report = json.load(f)
    stages = report["stages"]
    assert list(stages) == ["unimodal", "alignment", "finetune"]
    # Each stage names its data and where it starts.
    assert stages["unimodal"]["data"] == os.path.abspath(unimodal)
    assert stages["unimodal"]["start"] == "clip-tiny"
    assert stages["alignment"]["data"] == os.path.abspath(train)
    assert stages["alignment"]["start"] == "unimodal"
    assert stages["finetune"]["data"] == os.path.abspath(train)
    assert stages["finetune"]["start"] == "alignment"
    assert stages["alignment"]["validation_pairs"] == 12
    assert stages["finetune"]["classes"] == ["blue", "green", "red"]
    for tower in ("image", "text"):
        part = stages["unimodal"][tower]
        assert part["metric"] == "loss" and np.isfinite(part["after"])
    assert stages["alignment"]["metric"] == "loss"
    finetune = stages["finetune"]
    assert finetune["metric"] == "accuracy"
    assert finetune["after"] >= finetune["before"]
    assert finetune["after"] > 0.5
    assert "finetune" in capsys.readouterr().out
    # RUN/model.keras is the aligned, fine-tuned two-tower model, with its
    # tokenizer and image preprocessing inside.
    model = keras_mm.load_model(os.path.join(run, "model.keras"))
    assert model.embed("text", ["red"]).shape == (1, 64)
    assert model.encoders["image"].trainable
    # The run is recorded: a rerun of the same config resumes.
    assert main(argv) == 0
    assert "resuming" in capsys.readouterr().out
    # A run's model.keras starts another staged run (its own tokenizer).
    again = str(tmp_path / "again")
    start = os.path.join(run, "model.keras")
    assert main(["train", "--recipe", "staged", "--model", start,
                 "--train-data", train, "--out", again, "--batch-size", "8",
                 "--epochs", "1", "--verbose", "0"]) == 0
    with open(os.path.join(again, "report.json")) as f:
        stages = json.load(f)["stages"]
    assert stages["unimodal"]["start"] == start
    assert stages["unimodal"]["data"] == os.path.abspath(train)
    assert stages["finetune"]["validation_pairs"] >= 2


def _cli(*argv):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-c",
         ("import sys; from keras_mm.cli.main import main; "
          "code = main(sys.argv[1:]); "
          "assert 'keras' not in sys.modules, 'Keras loaded'; "
          "sys.exit(code)"), *argv],
        check=False, capture_output=True, text=True, env=env, timeout=60)


def test_staged_data_errors_exit_2_before_keras_loads(tmp_path):
    folder = _image_folder(tmp_path / "train", 2, seed=0)
    manifest = tmp_path / "captions.csv"
    manifest.write_text("filepath,title\n"
                        f"{folder}/red/0.png,a red square\n")
    run = str(tmp_path / "run")
    base = ["train", "--recipe", "staged", "--model", "clip-tiny",
            "--out", run]
    # Stage 3 needs class labels: a manifest of captions only has none.
    result = _cli(*base, "--train-data", str(manifest))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "captions.csv" in lines[0], lines
    # ... but it may serve stage 1 and 2 when --finetune-data has labels.
    result = _cli(*base, "--train-data", str(manifest), "--finetune-data",
                  str(tmp_path / "missing"))
    assert result.returncode == 2 and "missing" in result.stderr
    # Stage data flags belong to the staged recipe.
    result = _cli("train", "--model", "clip-tiny", "--train-data", folder,
                  "--finetune-data", folder, "--out", run)
    assert result.returncode == 2
    assert "--finetune-data applies to --recipe staged" in result.stderr
    assert not os.path.exists(run)
