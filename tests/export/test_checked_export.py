"""Checked LiteRT export of a model trained under the current backend."""

import json
import os

import keras
import numpy as np
import pytest

import keras_mm
from keras_mm.export import ExportError
from keras_mm.demos.export_data import builtin_export_data
from keras_mm.export import check_static_shapes
from keras_mm.export import export_checked
from keras_mm.export.checked_export import LATENCY_TIE
from keras_mm.export.checked_export import choose_fastest
from keras_mm.export.checked_export import choose_towers
from keras_mm.testing import run_in_backend


@pytest.mark.large
def test_int8_export_of_model_trained_on_this_backend(quickstart_run,
                                                      tmp_path):
    # quickstart_run trained and saved the model under the current backend;
    # conversion goes through TensorFlow (a subprocess elsewhere).
    out_dir, _ = quickstart_run
    model_path = str(out_dir / "model.keras")
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, representative = builtin_export_data(
        model, str(out_dir / "vocab.txt"), num_eval=32,
        num_representative=8)
    report = export_checked(model_path, str(tmp_path), quantize="int8",
                            eval_inputs=eval_inputs, labels=captions,
                            representative_inputs=representative,
                            max_r1_drop=0.1, latency_runs=5)
    for modality in ("image", "text"):
        tower = report["towers"][modality]
        assert os.path.getsize(tower["path"]) == tower["size_bytes"] > 0
        assert tower["mode"] in ("dynamic", "full_int8", "full_int8_per_tensor")
        assert tower["cosine_min"] >= 0.99
        assert tower["latency_ms"] > 0
        full = tower["candidates"]["full_int8"]
        # Every op that is not int8 is listed (float islands included).
        assert "DEQUANTIZE(int8->float32)" in full["non_int8_ops"]
        # The full-integer files agree with Keras too: the pooled-token
        # selection (ONE_HOT) in int8 once broke the text tower (cosine
        # -0.06) while "int8" quietly fell back to dynamic-range.
        for mode in ("full_int8", "full_int8_per_tensor"):
            candidate = tower["candidates"][mode]
            assert "failed" not in candidate, candidate["failed"]
            assert candidate["cosine_min"] >= 0.99
            assert not any(op.startswith("ONE_HOT") and "int8" in op
                           for op in candidate["non_int8_ops"])
    assert report["r1_drop"] <= 0.1
    # The towers were chosen together: of the combinations of passing
    # candidates within the R@1 budget, the smallest of the fastest.
    combinations = report["combinations"]
    passed = [sum("failed" not in c
                  for c in report["towers"][m]["candidates"].values())
              for m in ("image", "text")]
    assert len(combinations) == passed[0] * passed[1]
    kept = [c for c in combinations if c["r1_drop"] <= 0.1]
    fastest = min(c["latency_ms"] for c in kept)
    tied = [c for c in kept if c["latency_ms"] <= fastest * (1 + LATENCY_TIE)]
    chosen = {m: report["towers"][m]["mode"] for m in ("image", "text")}
    assert chosen == min(tied, key=lambda c: c["size_bytes"])["towers"]
    assert report["size_bytes"] == min(c["size_bytes"] for c in tied)
    with open(tmp_path / "report.json") as f:
        assert json.load(f)["quantize"] == "int8"
    # The exported files run on their own and agree with Keras.
    from keras_mm.export import LiteRTRunner

    lite = LiteRTRunner(report["towers"]["image"]["path"])(
        {"images": eval_inputs["images"][:4]})
    ref = model.predict(eval_inputs, verbose=0)["image_embeddings"][:4]
    cos = np.sum(lite * ref, 1) / np.linalg.norm(lite, axis=1)
    assert cos.min() >= 0.99


def test_dynamic_shape_is_refused_naming_the_layer():
    tokens = keras.Input((None, 8), name="tokens")
    model = keras.Model({"tokens": tokens},
                        keras.layers.Dense(4, name="proj")(tokens))
    with pytest.raises(ExportError, match="'tokens'.*dynamic"):
        check_static_shapes(model)


UNSUPPORTED = """
import json, keras
from keras import ops
from keras_mm.export import export_litert

class RunningProduct(keras.layers.Layer):
    def call(self, x):
        return ops.cumprod(x, axis=-1)  # tf.Cumprod: no LiteRT builtin

x = keras.Input((8,), name="x")
model = keras.Model({"x": x}, RunningProduct(name="running_product")(
    keras.layers.Dense(8, name="dense")(x)))
try:
    from keras_mm.export.tflite_converter import convert_tower
    convert_tower(model, "embed")
    print(json.dumps({"error": None}))
except Exception as error:
    print(json.dumps({"type": type(error).__name__,
                      "error": str(error).splitlines()[0]}))
"""


@pytest.mark.large
def test_unsupported_op_is_refused_naming_the_layer():
    result = run_in_backend("tensorflow", UNSUPPORTED)
    assert result["type"] == "ExportError"
    assert "running_product" in result["error"]
    assert "Cumprod" in result["error"]


def test_choose_fastest_prefers_the_smallest_among_equally_fast():
    entries = {
        "dynamic": {"latency_ms": 1.00, "size_bytes": 900},
        "full_int8": {"latency_ms": 1.03, "size_bytes": 800},
        "full_int8_per_tensor": {"latency_ms": 1.20, "size_bytes": 700},
    }
    # 1.20 is not within 5% of 1.00: the smallest of the two tied wins.
    assert choose_fastest(entries, list(entries)) == "full_int8"
    assert choose_fastest(entries, ["dynamic", "full_int8_per_tensor"]) == (
        "dynamic")
    assert choose_fastest(entries, list(entries), tie=0.25) == (
        "full_int8_per_tensor")


def test_choose_towers_takes_the_fastest_combination_that_keeps_recall():
    candidates = {
        "image": {"dynamic": {"latency_ms": 1.0, "size_bytes": 90},
                  "full_int8": {"latency_ms": 0.5, "size_bytes": 100}},
        "text": {"dynamic": {"latency_ms": 2.0, "size_bytes": 90},
                 "full_int8": {"latency_ms": 1.0, "size_bytes": 80}},
    }

    def r1_drop(picks):  # The full-integer image tower loses retrieval.
        return 0.03 if picks["image"] == "full_int8" else 0.005

    chosen, combinations = choose_towers(candidates, r1_drop, 0.01)
    assert chosen["towers"] == {"image": "dynamic", "text": "full_int8"}
    assert (chosen["latency_ms"], chosen["size_bytes"]) == (2.0, 170)
    assert len(combinations) == 4
    # A looser budget lets the fastest combination through.
    chosen, _ = choose_towers(candidates, r1_drop, 0.05)
    assert chosen["towers"] == {"image": "full_int8", "text": "full_int8"}
    # Where none keeps recall, the one that loses least is returned (the
    # caller raises).
    chosen, _ = choose_towers(candidates, lambda p: 0.5 - (
        p["text"] == "dynamic") * 0.1, 0.01)
    assert chosen["towers"]["text"] == "dynamic"
    assert chosen["r1_drop"] == pytest.approx(0.4)


@pytest.mark.large
def test_a_failed_export_leaves_the_previous_one_untouched(tmp_path):
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    import export_fixture as fixture

    from keras_mm.data.manifest import read_manifest
    from keras_mm.export import ExportCheckError
    from keras_mm.export.export_data import export_inputs
    from keras_mm.export.export_data import model_preprocessors

    model_path = fixture.write_self_contained_clip(str(tmp_path / "run"))
    manifest = fixture.write_png_manifest(str(tmp_path / "data"), 8)
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, _ = export_inputs(
        model, read_manifest(manifest, media_key="filepath",
                             text_key="title"),
        model_preprocessors(model), num_representative=2, num_eval=4)
    # The previous good export.
    previous = tmp_path / "export"
    previous.mkdir()
    files = {"image.tflite": b"good image", "text.tflite": b"good text",
             "report.json": b'{"quantize": "none"}'}
    for name, content in files.items():
        (previous / name).write_bytes(content)
    # Every tower passes its parity check, then retrieval "fails".
    with pytest.raises(ExportCheckError, match="Recall@1"):
        export_checked(model_path, str(previous), quantize="none",
                       eval_inputs=eval_inputs, labels=captions,
                       max_r1_drop=-1.0, latency_runs=1)
    assert sorted(os.listdir(previous)) == sorted(files)
    for name, content in files.items():
        assert (previous / name).read_bytes() == content, name
    assert sorted(os.listdir(tmp_path)) == ["data", "export", "run"]

    # An --out holding other files is refused before any work.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep me")
    with pytest.raises(ValueError, match="holds other files"):
        export_checked(model_path, str(tmp_path / "mine"), quantize="none",
                       eval_inputs=eval_inputs, labels=captions)
    with pytest.raises(ValueError, match="is a file"):
        export_checked(model_path, str(tmp_path / "mine" / "thesis.txt"),
                       quantize="none", eval_inputs=eval_inputs,
                       labels=captions)
