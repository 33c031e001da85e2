"""Checked ONNX export of a model trained under the current backend."""

import os

import numpy as np
import pytest

import keras_mm
from keras_mm.cli.main import main
from keras_mm.export import ExportCheckError
from keras_mm.export import OnnxRunner
from keras_mm.demos.export_data import builtin_export_data
from keras_mm.export import export_checked
from keras_mm.export import export_onnx

pytest.importorskip("onnxruntime")


def _cosine(a, b):
    return np.sum(a * b, 1) / (np.linalg.norm(a, axis=1)
                               * np.linalg.norm(b, axis=1))


@pytest.mark.large
def test_onnx_export_of_model_trained_on_this_backend(quickstart_run,
                                                      tmp_path, capsys):
    # quickstart_run trained and saved the model under the current backend;
    # conversion goes through torch (a subprocess elsewhere).
    out_dir, _ = quickstart_run
    model_path = str(out_dir / "model.keras")
    # float32 through the CLI.
    code = main(["export", "--model", model_path, "--data", "builtin",
                 "--out", str(tmp_path / "float"), "--format", "onnx",
                 "--quantize", "none", "--eval-size", "32",
                 "--max-r1-drop", "0.1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "onnxruntime image→text" in printed
    assert not (tmp_path / "float" / "candidates").exists()
    # The ONNX folder has the same layout as a LiteRT one.
    description = keras_mm.export.read_export_json(str(tmp_path / "float"))
    assert description["format"] == "onnx"
    assert description["towers"]["text"]["file"] == "text.onnx"
    assert {i["name"] for i in description["towers"]["text"]["inputs"]} == {
        "token_ids", "padding_mask"}
    # int8 weights through the Python API.
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, _ = builtin_export_data(
        model, str(out_dir / "vocab.txt"), num_eval=32, num_representative=1)
    report = export_checked(model_path, str(tmp_path / "int8"),
                            quantize="int8", eval_inputs=eval_inputs,
                            labels=captions, max_r1_drop=0.1,
                            latency_runs=5, format="onnx")
    assert report["runtime"] == "onnxruntime"
    reference = model.predict(eval_inputs, verbose=0)
    for modality, keys in (("image", ["images"]),
                           ("text", ["token_ids", "padding_mask"])):
        float_path = tmp_path / "float" / f"{modality}.onnx"
        assert f"{float_path}: float32" in printed
        tower = report["towers"][modality]
        assert tower["path"] == str(tmp_path / "int8" / f"{modality}.onnx")
        assert os.path.getsize(tower["path"]) == tower["size_bytes"] > 0
        assert tower["mode"] == "dynamic" and tower["cosine_min"] >= 0.99
        assert tower["latency_ms"] > 0
        # int8 weights shrink the file (this tiny model is partly graph).
        assert tower["size_bytes"] < 0.6 * float_path.stat().st_size
        # The files run on their own in onnxruntime and agree with Keras.
        rows = {k: eval_inputs[k][:4] for k in keys}
        ref = reference[f"{modality}_embeddings"][:4]
        assert _cosine(OnnxRunner(tower["path"])(rows), ref).min() >= 0.99
        np.testing.assert_allclose(OnnxRunner(str(float_path))(rows), ref,
                                   atol=1e-5)
    assert report["r1_drop"] <= 0.1
    for direction in ("image_to_text", "text_to_image"):
        assert 0 <= report["retrieval"][direction]["R@5"] <= 1


def test_onnx_float16_is_a_usage_error(tmp_path, capsys):
    code = main(["export", "--model", "m.keras", "--data", "builtin",
                 "--out", str(tmp_path), "--format", "onnx", "--quantize",
                 "float16"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--format onnx" in err and "Traceback" not in err


def test_bad_onnx_arguments(tmp_path):
    with pytest.raises(ValueError, match="ONNX modes"):
        export_onnx("m.keras", str(tmp_path), modes=("full_int8",))
    with pytest.raises(ValueError, match="format"):
        export_checked("m.keras", str(tmp_path), format="coreml")
    with pytest.raises(ValueError, match="quantize"):
        export_checked("m.keras", str(tmp_path), quantize="full_int8",
                       format="onnx")


@pytest.mark.large
def test_drift_is_an_error_not_a_warning(quickstart_run, tmp_path):
    # Labels/eval rows from another model's inputs still run, but a
    # threshold the tower cannot meet must raise, not write a report.
    out_dir, _ = quickstart_run
    model_path = str(out_dir / "model.keras")
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, _ = builtin_export_data(
        model, str(out_dir / "vocab.txt"), num_eval=8, num_representative=1)
    from keras_mm.export import checked_export

    original = dict(checked_export.MIN_COSINE)
    checked_export.MIN_COSINE["float32"] = 1.01  # Unreachable.
    try:
        with pytest.raises(ExportCheckError, match="onnxruntime"):
            export_checked(model_path, str(tmp_path), quantize="none",
                           eval_inputs=eval_inputs, labels=captions,
                           latency_runs=2, format="onnx")
    finally:
        checked_export.MIN_COSINE.clear()
        checked_export.MIN_COSINE.update(original)
    assert not (tmp_path / "report.json").exists()
