"""`keras-mm eval` on the quickstart model: report.json and PNG figures."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_mm.cli.main import main

FIGURES = ("retrieval_image_to_text", "retrieval_text_to_image",
           "attention_maps", "zero_shot_confusion", "training_curves")


@pytest.fixture(scope="module")
def eval_run(quickstart_run, tmp_path_factory):
    model_dir, _ = quickstart_run
    tmp = tmp_path_factory.mktemp("eval")
    log = tmp / "training_log.csv"  # As keras.callbacks.CSVLogger writes.
    log.write_text("epoch,loss,val_loss\n0,4.05,4.10\n1,3.61,3.80\n"
                   "2,3.32,3.59\n")
    out = tmp / "out"
    code = main(["eval", "--model", str(model_dir / "model.keras"),
                 "--data", "builtin:test", "--out", str(out),
                 "--logs", str(log), "--num-samples", "48"])
    return code, out


def test_eval_writes_report(eval_run, backend):
    code, out = eval_run
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["backend"] == backend
    assert report["data"] == {"name": "builtin:test", "pairs": 48}
    assert report["vocabulary"].endswith("vocab.txt")
    for direction in ("image_to_text", "text_to_image"):
        r = report["retrieval"][direction]
        assert 0 <= r["R@1"] <= r["R@5"] <= r["R@10"] <= 1
        assert 1 <= r["median_rank"] <= 48
    z = report["zero_shot"]
    assert z["num_classes"] == 24 and z["num_images"] > 5
    assert 0 <= z["top1"] <= z["top5"] <= 1
    assert np.sum(z["confusion_matrix"]) == z["num_images"]
    bleu = report["caption_by_retrieval"]["bleu"]
    assert 0 <= bleu["bleu_4"] <= bleu["bleu_1"] <= 1
    assert set(report["caption_by_retrieval"]["rouge"]) == {
        "rouge1", "rouge2", "rougeL"}
    assert sorted(report["figures"]) == sorted(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_each_png_has_size_and_content(eval_run, name):
    _, out = eval_run
    with Image.open(out / f"{name}.png") as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"), "float32")
    assert width >= 300 and height >= 200
    # Not blank: many colours and real contrast, not one flat fill.
    assert pixels.std() > 10
    packed = pixels.astype("int64") @ np.array([65536, 256, 1])
    assert len(np.unique(packed)) > 50
    # Not mostly one colour either (e.g. only a title on white).
    assert np.mean(np.all(pixels > 250, axis=-1)) < 0.97


@pytest.mark.parametrize("argv, fragment", [
    (["eval", "--model", "missing/model.keras"], "missing/model.keras"),
    (["eval", "--model", "m.keras", "--data", "builtin:dev"],
     "unknown built-in split"),
    (["eval", "--model", "m.keras", "--data", "nowhere.csv"], "nowhere.csv"),
    (["eval"], "required: --model"),
    (["eval", "--model", "m.keras", "--num-samples", "1"], "--num-samples"),
])
def test_wrong_usage_exits_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err


def test_missing_vocabulary_is_named(quickstart_run, tmp_path, capsys):
    model_dir, _ = quickstart_run
    # A copy of the model with no vocab.txt beside it.
    lone = tmp_path / "model.keras"
    lone.write_bytes((model_dir / "model.keras").read_bytes())
    assert main(["eval", "--model", str(lone), "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert os.path.join(str(tmp_path), "vocab.txt") in err


def test_eval_on_a_manifest(quickstart_run, tmp_path):
    from keras_mm.datasets.shapes import make_image_text_pairs

    model_dir, _ = quickstart_run
    pairs = make_image_text_pairs(6, image_size=40, seed=5)
    rows = ["image,caption"]
    for i, (image, caption) in enumerate(zip(pairs["images"],
                                             pairs["captions"])):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
        rows.append(f"{i}.png,{caption}")
    manifest = tmp_path / "pairs.csv"
    manifest.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    code = main(["eval", "--model", str(model_dir / "model.keras"),
                 "--data", str(manifest), "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["data"] == {"name": str(manifest), "pairs": 6}
    assert report["zero_shot"] is None  # a manifest has no class labels
    assert "zero-shot skipped" in " ".join(report["notes"])
    r = report["retrieval"]["image_to_text"]
    assert 0 <= r["R@1"] <= r["R@5"] <= 1


def test_eval_rejects_data_that_is_not_a_manifest(quickstart_run, tmp_path,
                                                  capsys):
    model_dir, _ = quickstart_run
    bad = tmp_path / "pairs.parquet"
    bad.write_bytes(b"PAR1")
    code = main(["eval", "--model", str(model_dir / "model.keras"),
                 "--data", str(bad), "--out", str(tmp_path / "o")])
    assert code == 2
    error = capsys.readouterr().err
    assert "pairs.parquet" in error and ".csv, .tsv or .jsonl" in error
