"""`keras-mm train`: usage errors, a recipe run, and fine-tuning on a
manifest into a run folder (resume, refusal, errors before Keras loads)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from keras_mm.cli.main import main
from train_fixtures import write_pairs
from train_fixtures import write_tones
from train_fixtures import write_tiny_hf_clip


def test_unknown_option_is_a_usage_error(capsys):
    assert main(["train", "--set", "no_such=1"]) == 2
    assert "no_such" in capsys.readouterr().err


def test_mesh_without_distribution_is_a_usage_error(capsys):
    assert main(["train", "--mesh", "2x2"]) == 2
    assert "--mesh" in capsys.readouterr().err


def test_distribution_missing_or_configured(capsys, monkeypatch):
    import keras_mm.distribution as distribution

    if not hasattr(distribution, "configure_distribution"):
        assert main(["train", "--distribution", "data", "--set",
                     "epochs=0"]) == 2
        assert "distribution support is not installed" in (
            capsys.readouterr().err)
    calls = []
    monkeypatch.setattr(distribution, "configure_distribution",
                        lambda kind, mesh: calls.append((kind, mesh)),
                        raising=False)
    from keras_mm.cli.commands import train

    train._configure_distribution("model", "1x2")
    assert calls == [("model", "1x2")]


@pytest.mark.large
def test_tiny_clip_run_with_lora_and_accumulation(tmp_path, capsys):
    out = str(tmp_path / "run")
    code = main(["train", "--out", out, "--lora-rank", "2",
                 "--accumulation-steps", "2", "--set", "batch_size=16",
                 "--checkpoint-every", "4"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "parameters: trainable" in printed and "frozen" in printed
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    assert report["parameters"]["frozen"] > report["parameters"]["trainable"]
    assert os.path.getsize(os.path.join(out, "adapter.npz")) < 0.05 * (
        os.path.getsize(os.path.join(out, "model.weights.h5")))


# === keras-mm train --model START --train-data PATH --out RUN ===

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("pairs"))
    return {"train": write_pairs(folder, 20),
            "val": write_pairs(folder, 6, name="val.csv", seed=1),
            "folder": folder}


@pytest.fixture(scope="module")
def hf_clip(tmp_path_factory):
    return write_tiny_hf_clip(str(tmp_path_factory.mktemp("hf") / "clip"))


def _report(run):
    with open(os.path.join(run, "report.json")) as f:
        return json.load(f)


def _check_recall(result):
    for direction in ("image_to_text", "text_to_image"):
        for k in (1, 5, 10):
            assert 0.0 <= result["retrieval"][direction][f"R@{k}"] <= 1.0


@pytest.mark.large
def test_fine_tune_a_checkpoint_then_resume(tmp_path, pairs, hf_clip,
                                            capsys):
    import keras_mm

    run = str(tmp_path / "run")
    argv = ["train", "--model", hf_clip, "--train-data", pairs["train"],
            "--out", run, "--epochs", "1", "--batch-size", "6",
            "--lr", "1e-3", "--verbose", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 of the 20 pairs" in out and "held out" in out
    for name in ("config.yaml", "checkpoints", "logs", "history.json",
                 "model.keras", "report.json"):
        assert os.path.exists(os.path.join(run, name)), name
    with open(os.path.join(run, "config.yaml")) as f:
        config = yaml.safe_load(f)
    assert config["model"] == os.path.abspath(hf_clip)
    assert config["train_data"] == os.path.abspath(pairs["train"])
    assert (config["media_key"], config["caption_key"],
            config["label_key"]) == ("filepath", "title", "label")
    assert config["learning_rate"] == 1e-3 and config["seed"] == 0
    report = _report(run)
    assert report["decision"] == "start"
    assert report["train_pairs"] == 18 and report["validation_pairs"] == 2
    for stage in ("before", "after"):
        _check_recall(report[stage])
        assert 0.0 <= report[stage]["zero_shot"]["top1"] <= 1.0
    steps = report["training"]["total_steps"]
    assert steps == 3
    with open(os.path.join(run, "history.json")) as f:
        history = json.load(f)
    assert [r["epoch"] for r in history] == [0]
    assert {"loss", "val_loss", "val_i2t_R@1", "val_t2i_R@10",
            "learning_rate", "samples_per_second"} <= set(history[0])
    assert os.listdir(os.path.join(run, "logs"))

    # The model is self-contained: raw strings and image files in.
    model = keras_mm.load_model(os.path.join(run, "model.keras"))
    texts = model.embed("text", ["a red square", "a blue circle"])
    images = model.embed("image", [os.path.join(pairs["folder"], "images",
                                                "0_0.png")])
    assert texts.shape == (2, 16) and images.shape == (1, 16)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-4)

    # The same config, rerun: the run is finished; its report stands ...
    with open(os.path.join(run, "report.json")) as f:
        written = f.read()
    assert main(argv) == 0
    assert "is finished" in capsys.readouterr().out
    with open(os.path.join(run, "report.json")) as f:
        assert f.read() == written
    # ... another one is refused, naming the key ...
    assert main(argv[:-4] + ["--lr", "5e-4", "--verbose", "0"]) == 2
    error = capsys.readouterr().err
    assert "learning_rate 0.001 there, 0.0005 now" in error
    assert error.count("\n") == 1
    # ... and --resume goes on for more epochs.
    assert main(argv + ["--resume", "--epochs", "2"]) == 0
    report = _report(run)
    assert report["decision"] == "resume"
    assert report["training"]["resumed_from_step"] == steps
    assert report["training"]["total_steps"] == 2 * steps


@pytest.mark.large
def test_preset_start_from_a_config_file(tmp_path, pairs, capsys):
    import keras_mm

    run = str(tmp_path / "run")
    config_file = tmp_path / "run.yaml"
    config_file.write_text(yaml.safe_dump({
        "model": "clip-tiny", "train_data": pairs["train"],
        "val_data": pairs["val"], "csv_img_key": "filepath",
        "csv_caption_key": "title", "batch_size": 4, "epochs": 3,
        "wd": 0.0}))
    argv = ["train", "--config", str(config_file), "--out", run,
            "--epochs", "1", "--verbose", "0"]
    assert main(argv) == 0
    report = _report(run)
    assert report["validation_pairs"] == 6 and report["train_pairs"] == 20
    _check_recall(report["after"])
    with open(os.path.join(run, "config.yaml")) as f:
        config = yaml.safe_load(f)
    assert config["epochs"] == 1 and config["weight_decay"] == 0.0
    assert config["val_data"] == os.path.abspath(pairs["val"])
    # The tokenizer built from the captions is inside model.keras.
    model = keras_mm.load_model(os.path.join(run, "model.keras"))
    assert type(model.preprocessors["text"]).__name__ == "TextPreprocessor"
    assert model.embed("text", ["a red circle"]).shape == (1, 64)
    # RUN/config.yaml reruns the run: same config, so it is the same run,
    # already finished (a changed config would be refused instead).
    capsys.readouterr()
    assert main(["train", "--config", os.path.join(run, "config.yaml"),
                 "--out", run]) == 0
    assert "nothing to do" in capsys.readouterr().out
    # The run's model.keras is itself a start, here under open_clip's
    # --precision amp_bf16 (its float32 layers are rebuilt as mixed).
    from keras_mm.training.precision import model_precision

    again = str(tmp_path / "again")
    assert main(["train", "--model", os.path.join(run, "model.keras"),
                 "--train-data", pairs["train"], "--out", again,
                 "--batch-size", "4", "--precision", "amp_bf16",
                 "--verbose", "0"]) == 0
    assert ".keras model" in capsys.readouterr().out
    assert _report(again)["validation_pairs"] == 2
    model = keras_mm.load_model(os.path.join(again, "model.keras"))
    assert model_precision(model) == "mixed_bfloat16"
    assert model.embed("text", ["a red circle"]).shape == (1, 64)


@pytest.mark.large
def test_audio_preset_and_streamed_shards(tmp_path, pairs, hf_clip, capsys):
    # Audio–text pairs train the same way from an audio start.
    tones = write_tones(str(tmp_path / "tones"))
    run = str(tmp_path / "audio_run")
    assert main(["train", "--model", "audio-clip-tiny", "--train-data",
                 tones, "--out", run, "--batch-size", "4",
                 "--verbose", "0"]) == 0
    report = _report(run)
    assert report["modality"] == "audio"
    assert 0 <= report["after"]["retrieval"]["audio_to_text"]["R@1"] <= 1
    with open(os.path.join(run, "config.yaml")) as f:
        config = yaml.safe_load(f)
    assert (config["media_key"], config["caption_key"]) == (
        "audio", "transcript")

    # WebDataset shards stream; a fraction of their samples is held out.
    from keras_mm.data.sources import read_pairs
    from keras_mm.data.webdataset import write_webdataset

    shards = str(tmp_path / "shards")
    write_webdataset(read_pairs(pairs["train"]), shards, shard_size=8)
    run = str(tmp_path / "shard_run")
    assert main(["train", "--model", hf_clip, "--train-data", shards,
                 "--out", run, "--batch-size", "4", "--steps", "2",
                 "--warmup", "1", "--val-fraction", "0.3",
                 "--verbose", "0"]) == 0
    assert "by a hash of each sample" in capsys.readouterr().out
    report = _report(run)
    assert report["train_pairs"] is None
    assert report["training"]["total_steps"] == 2
    assert report["validation_pairs"] >= 2


def _cli(*argv):
    """Runs `keras-mm` in a fresh interpreter; returns (code, stderr, whether
    Keras was imported by then)."""
    code = ("import sys\n"
            "from keras_mm.cli.main import main\n"
            f"code = main({list(argv)!r})\n"
            "print('keras' in sys.modules)\n"
            "sys.exit(code)\n")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, timeout=120,
        check=False)
    # The last stdout line (the first names the backend).
    return (result.returncode, result.stderr.strip(),
            result.stdout.strip().splitlines()[-1])


def _assert_one_line_error(result, *words):
    code, error, keras_loaded = result
    assert code == 2
    assert keras_loaded == "False"
    assert error.startswith("error:") and "\n" not in error, error
    for word in words:
        assert word in error, error


def test_errors_exit_2_before_keras_loads(tmp_path, pairs):
    run = str(tmp_path / "run")
    base = ["train", "--train-data", pairs["train"], "--out", run]
    # A manifest with no usable column names the columns found.
    bad = tmp_path / "bad.csv"
    bad.write_text("picture,words\na.png,a cat\n")
    _assert_one_line_error(
        _cli("train", "--model", "clip-tiny", "--train-data", str(bad),
             "--out", run), "bad.csv", "picture")
    # A missing start.
    _assert_one_line_error(
        _cli(*base, "--model", str(tmp_path / "no_such_model")),
        "no_such_model")
    # A checkpoint of a type train cannot start from.
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text('{"model_type": "bert"}')
    _assert_one_line_error(_cli(*base, "--model", str(bert)), "'bert'")
    # A run folder holding a run with another config.
    from keras_mm.cli.commands.train import check_run
    from keras_mm.cli.main import build_parser
    from keras_mm.training.run_folder import RunFolder

    config = check_run(build_parser().parse_args(
        base + ["--model", "clip-tiny"]))[0]
    RunFolder(run).prepare(config)
    _assert_one_line_error(
        _cli(*base, "--model", "clip-tiny", "--lr", "0.01"),
        "learning_rate 0.001 there, 0.01 now")
    # An --out that cannot be a folder.
    (tmp_path / "a_file").write_text("x")
    for out in (tmp_path / "a_file", tmp_path / "a_file" / "run"):
        _assert_one_line_error(
            _cli("train", "--train-data", pairs["train"], "--model",
                 "clip-tiny", "--out", str(out)), "a_file", "not a folder")
    _assert_one_line_error(
        _cli("train", "--train-data", pairs["train"], "--model",
             "clip-tiny", "--out", "/proc/keras_mm_run"), "cannot write")
    # Usage: --resume with --overwrite.
    _assert_one_line_error(
        _cli(*base, "--model", "clip-tiny", "--resume", "--overwrite"),
        "exclude")
