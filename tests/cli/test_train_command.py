"""`keras-mm train`: usage errors and a tiny run with options."""

import json
import os

import pytest

from keras_mm.cli.main import main


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
