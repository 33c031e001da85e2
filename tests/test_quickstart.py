import json
import os

import numpy as np

from keras_mm.quickstart import format_summary


def test_quickstart_writes_summary_with_required_keys(quickstart_run, backend):
    out_dir, summary = quickstart_run
    with open(os.path.join(out_dir, "summary.json")) as f:
        written = json.load(f)
    assert written["backend"] == backend
    for direction in ("image_to_text", "text_to_image"):
        for k in ("R@1", "R@5", "R@10"):
            value = written["retrieval"][direction][k]
            assert 0.0 <= value <= 1.0
        # Recall grows with K.
        r = written["retrieval"][direction]
        assert r["R@1"] <= r["R@5"] <= r["R@10"]
    for mode in ("float32", "int8"):
        entry = written["export"]["litert"][mode]
        assert entry["size_bytes"] > 0
        assert entry["cosine"] >= 0.99
    assert written["seconds"] > 0
    # INT8 weights make the files smaller.
    litert = written["export"]["litert"]
    assert litert["int8"]["size_bytes"] < 0.6 * litert["float32"]["size_bytes"]
    assert litert["float32"]["cosine"] >= 0.999


def test_quickstart_writes_artifacts(quickstart_run):
    out_dir, _ = quickstart_run
    for name in ("model.keras", "vocab.txt", "summary.json",
                 "litert/image_float32.tflite", "litert/text_int8.tflite"):
        assert os.path.getsize(os.path.join(out_dir, name)) > 0


def test_quickstart_litert_retrieval_matches_keras(quickstart_run):
    _, summary = quickstart_run
    keras_r5 = summary["retrieval"]["image_to_text"]["R@5"]
    lite_r5 = summary["export"]["litert"]["float32"]["retrieval"][
        "image_to_text"]["R@5"]
    assert abs(keras_r5 - lite_r5) <= 1.0 / summary["data"]["test"] + 1e-9


def test_training_reduced_the_loss(quickstart_run):
    _, summary = quickstart_run
    # ln(64) is the loss of a random in-batch guess at batch 64.
    assert summary["training"]["final_loss"] < np.log(64)


def test_format_summary_lists_every_section(quickstart_run):
    _, summary = quickstart_run
    table = format_summary(summary)
    for word in ("image_to_text", "text_to_image", "LiteRT float32",
                 "LiteRT int8", "seconds"):
        assert word in table
