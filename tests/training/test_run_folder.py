"""Run folders: start, resume when the config matches, refuse otherwise."""

import os

import pytest

from keras_mm.training import run_options
from keras_mm.training.run_folder import RunFolder
from keras_mm.training.run_folder import save_model
from keras_mm.training.run_folder import write_json


@pytest.fixture
def config():
    return {**run_options.defaults(), "model": "clip-tiny",
            "train_data": "/data/train.csv", "epochs": 2}


def test_start_then_resume_with_the_same_config(tmp_path, config):
    run = RunFolder(str(tmp_path / "run"))
    assert run.prepare(config) == "start"
    assert run.recorded_config() == config
    assert run.decide(config) == "resume"


def test_a_changed_config_names_its_keys(tmp_path, config):
    run = RunFolder(str(tmp_path / "run"))
    run.prepare(config)
    changed = {**config, "learning_rate": 5e-4, "epochs": 3}
    with pytest.raises(ValueError) as error:
        run.decide(changed)
    message = str(error.value)
    assert "learning_rate 0.001 there, 0.0005 now" in message
    assert "epochs 2 there, 3 now" in message
    assert "\n" not in message
    # --resume accepts a new length, not a new learning rate.
    assert run.decide({**config, "epochs": 3}, resume=True) == "resume"
    with pytest.raises(ValueError, match="learning_rate"):
        run.decide(changed, resume=True)
    assert run.prepare({**config, "epochs": 3}, resume=True) == "resume"
    assert run.recorded_config()["epochs"] == 3


def test_overwrite_removes_only_the_run_files(tmp_path, config):
    run = RunFolder(str(tmp_path / "run"))
    run.prepare(config)
    os.makedirs(run.checkpoints)
    write_json(run.report, {"a": 1})
    keep = os.path.join(run.path, "notes.txt")
    open(keep, "w").close()
    assert run.prepare({**config, "seed": 3}, overwrite=True) == "overwrite"
    assert not os.path.exists(run.checkpoints)
    assert not os.path.exists(run.report)
    assert os.path.exists(keep)
    assert run.recorded_config()["seed"] == 3
    with pytest.raises(ValueError, match="exclude"):
        run.decide(config, resume=True, overwrite=True)


def test_checkpoints_without_config_or_nothing_to_resume(tmp_path, config):
    run = RunFolder(str(tmp_path / "run"))
    with pytest.raises(ValueError, match="no run to resume"):
        run.decide(config, resume=True)
    os.makedirs(run.checkpoints)
    with pytest.raises(ValueError, match="checkpoints but no config.yaml"):
        run.decide(config)


def test_save_model_keeps_the_old_file_when_saving_fails(tmp_path):
    path = str(tmp_path / "model.keras")
    with open(path, "w") as f:
        f.write("good")

    class Broken:
        def save(self, filepath):
            with open(filepath, "w") as f:
                f.write("half")
            raise OSError("disk full")

    with pytest.raises(OSError):
        save_model(Broken(), path)
    with open(path) as f:
        assert f.read() == "good"
    assert os.listdir(tmp_path) == ["model.keras"]
