"""`keras-mm export`: wrong usage exits 2 with one line, no traceback."""

import pytest

from keras_mm.cli.main import main


def test_missing_model_names_the_path(tmp_path, capsys):
    missing = str(tmp_path / "nope.keras")
    assert main(["export", "--model", missing, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert missing in err and "Traceback" not in err


def test_bad_quantize_choice_is_a_usage_error(tmp_path, capsys):
    code = main(["export", "--model", "m.keras", "--out", str(tmp_path),
                 "--quantize", "int3"])
    assert code == 2
    assert "--quantize" in capsys.readouterr().err


def test_missing_vocabulary_is_reported(tmp_path, capsys):
    model = tmp_path / "m.keras"
    model.write_bytes(b"x")
    code = main(["export", "--model", str(model), "--out", str(tmp_path)])
    assert code == 2
    assert "vocab.txt" in capsys.readouterr().err


@pytest.mark.large
def test_export_command_writes_checked_towers(quickstart_run, tmp_path,
                                              capsys):
    out_dir, _ = quickstart_run
    code = main(["export", "--model", str(out_dir / "model.keras"),
                 "--out", str(tmp_path), "--quantize", "dynamic",
                 "--eval-size", "32", "--max-r1-drop", "0.1"])
    assert code == 0
    printed = capsys.readouterr().out
    for modality in ("image", "text"):
        assert (tmp_path / f"{modality}.tflite").stat().st_size > 0
        assert f"{modality}.tflite" in printed
    assert (tmp_path / "report.json").exists()
