"""`keras-mm train` options: flags, aliases, config files, `--set`."""

import argparse
import json

import pytest

from keras_mm.cli.data_flags import add_data_flags
from keras_mm.training import run_options


def _parse(argv):
    parser = argparse.ArgumentParser()
    run_options.add_train_flags(parser)
    add_data_flags(parser)
    parser.add_argument("--set", action="append", default=[])
    return run_options.resolve_options(parser.parse_args(argv))


def test_defaults_cover_every_train_config_option():
    config = _parse([])
    for field in run_options.train_fields():
        assert field in config
    for managed in run_options.RUN_MANAGED:
        assert managed not in config
    assert config["learning_rate"] == 1e-3 and config["freeze"] == []


def test_open_clip_aliases():
    config = _parse([
        "--train-data", "t.csv", "--lr", "5e-4", "--wd", "0.1",
        "--warmup", "10", "--accum-freq", "2", "--precision", "amp_bf16",
        "--lock-image", "--csv-img-key", "filepath", "--csv-caption-key",
        "title", "--csv-separator", "\\t", "--batch-size", "8",
        "--grad-clip-norm", "0.5"])
    assert config["learning_rate"] == 5e-4
    assert config["weight_decay"] == 0.1
    assert config["warmup_steps"] == 10
    assert config["accumulation_steps"] == 2
    assert config["precision"] == "mixed_bfloat16"
    assert config["freeze"] == ["image"]
    assert config["media_key"] == "filepath"
    assert config["caption_key"] == "title"
    assert config["separator"] == "\t"
    assert config["global_clipnorm"] == 0.5
    assert _parse(["--precision", "amp"])["precision"] == "mixed_float16"
    assert _parse(["--precision", "fp32"])["precision"] == "float32"


def test_config_file_then_flags_then_set(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: clip-tiny\nlr: 0.01\nepochs: 3\nfreeze: [text]\n"
                    "lock_image: true\ncsv_img_key: img\n")
    config = _parse(["--config", str(path), "--epochs", "5",
                     "--set", "epochs=7", "--set", "wd=0.2"])
    assert config["model"] == "clip-tiny"
    assert config["learning_rate"] == 0.01
    assert config["epochs"] == 7
    assert config["weight_decay"] == 0.2
    assert config["freeze"] == ["text", "image"]
    assert config["media_key"] == "img"
    json_path = tmp_path / "run.json"
    json_path.write_text(json.dumps({"batch_size": 4, "remat": "image"}))
    config = _parse(["--config", str(json_path)])
    assert config["batch_size"] == 4 and config["remat"] == ["image"]


def test_bad_options_name_the_key(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("no_such_option: 1\n")
    with pytest.raises(ValueError, match="no_such_option"):
        _parse(["--config", str(path)])
    path.write_text("epochs: many\n")
    with pytest.raises(ValueError, match="epochs"):
        _parse(["--config", str(path)])
    path.write_text("- a list\n")
    with pytest.raises(ValueError, match="mapping"):
        _parse(["--config", str(path)])
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        _parse(["--config", str(tmp_path / "missing.yaml")])
    with pytest.raises(ValueError, match="precision"):
        _parse(["--set", "precision=fp8"])
    with pytest.raises(ValueError, match="batch_size"):
        _parse(["--set", "batch_size=2.5"])


def test_check_options():
    config = {**run_options.defaults(), "model": "clip-tiny",
              "train_data": "t.csv"}
    run_options.check_options(config)
    with pytest.raises(ValueError, match="--model"):
        run_options.check_options({**config, "model": None})
    with pytest.raises(ValueError, match="multiple of --accumulation"):
        run_options.check_options({**config, "batch_size": 6,
                                   "accumulation_steps": 4})


def test_train_config_and_diff():
    config = {**run_options.defaults(), "lora_towers": ["text"],
              "epochs": 2}
    train = run_options.train_config(config, checkpoint_dir="ckpt")
    assert train.lora_towers == ("text",) and train.epochs == 2
    assert train.checkpoint_dir == "ckpt"
    changed = run_options.diff(config, {**config, "epochs": 3,
                                        "lora_towers": ("text",)})
    assert changed == {"epochs": (2, 3)}
    # A key recorded by an older version counts as its default.
    recorded = dict(config)
    del recorded["l1"]
    assert run_options.diff(recorded, config) == {}


def test_val_data_is_read_with_the_training_columns(tmp_path):
    val = tmp_path / "val.csv"
    val.write_text("img,words\na.png,a cat\n")
    config = {**run_options.defaults(), "val_data": str(val),
              "media_key": "img", "caption_key": "words",
              "label_key": "label"}
    # No label column in the validation manifest: read without labels.
    assert run_options.val_data_keys(config)["label_key"] is None
    with pytest.raises(ValueError, match="picture"):
        run_options.val_data_keys({**config, "media_key": "picture"})
