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
    assert report["data"]["name"] == "builtin:test"
    assert report["data"]["pairs"] == 48
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
    page = (out / report["html"]).read_text()
    assert page.count("data:image/png;base64,") == len(FIGURES)


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
    (["eval", "--model", "missing/model.keras", "--data", "builtin"],
     "missing/model.keras"),
    (["eval", "--model", "m.keras", "--data", "builtin:dev"],
     "unknown built-in split"),
    (["eval", "--model", "m.keras", "--data", "nowhere.csv"], "nowhere.csv"),
    (["eval"], "required: --model"),
    (["eval", "--model", "m.keras"], "required: --data"),
    (["eval", "--model", "m.keras", "--data", "builtin", "--num-samples",
      "1"], "--num-samples"),
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
    assert main(["eval", "--model", str(lone), "--data", "builtin",
                 "--out", str(tmp_path / "o")]) == 2
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
    assert report["data"]["name"] == str(manifest)
    assert report["data"]["pairs"] == 6
    assert report["zero_shot"] is None  # this manifest has no class labels
    # ... and the note says how to give them.
    note = next(n for n in report["notes"] if "zero-shot skipped" in n)
    assert "--label-key" in note and "--zero-shot-data" in note
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
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "pairs.parquet" in error


# === A self-contained model on the user's own data ===

@pytest.fixture(scope="module")
def user_data(tmp_path_factory):
    """A tiny CLIP saved as .keras, a class folder of real PNGs and an
    open_clip-style CSV (filepath,title,class) over the same images."""
    from eval_fixtures import build_tiny_clip
    from eval_fixtures import write_class_folder

    tmp = tmp_path_factory.mktemp("user_data")
    model_path = str(tmp / "model.keras")
    build_tiny_clip().save(model_path)
    folder = tmp / "images"
    items = write_class_folder(str(folder))
    rows = ["filepath,title,class"]
    for path, name in items:
        relative = os.path.relpath(path, tmp)
        rows.append(f"{relative},a photo of a {name.replace('_', ' ')}.,"
                    f"{name}")
    manifest = tmp / "train.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return {"model": model_path, "folder": str(folder), "items": items,
            "csv": str(manifest), "tmp": tmp}


@pytest.fixture(scope="module")
def reloaded(user_data):
    import keras_mm

    return keras_mm.load_model(user_data["model"], compile=False)


def _report(out):
    return json.loads((out / "report.json").read_text())


def test_self_contained_model_with_a_zero_shot_folder(user_data, reloaded,
                                                      tmp_path):
    from eval_fixtures import CLASSES
    from eval_fixtures import expected_zero_shot
    from keras_mm.metrics.retrieval import caption_recall_at_k

    out = tmp_path / "out"
    templates = ["a photo of a {}.", "a drawing of the {}."]
    code = main(["eval", "--model", user_data["model"],
                 "--data", user_data["csv"], "--csv-img-key", "filepath",
                 "--csv-caption-key", "title",
                 "--zero-shot-data", user_data["folder"],
                 "--templates", templates[0], "--templates", templates[1],
                 "--out", str(out)])
    assert code == 0
    report = _report(out)
    # Tokenizer and image preprocessing come from the model itself.
    assert report["vocabulary"] is None
    assert report["preprocessing"]["image"]["crop_size"] == 32
    paths, labels = zip(*user_data["items"])
    z = report["zero_shot"]
    top1, top5, _ = expected_zero_shot(reloaded, paths, labels, CLASSES,
                                       templates)
    assert z["top1"] == pytest.approx(top1)
    assert z["top5"] == pytest.approx(top5)
    assert z["num_classes"] == 3 and z["num_images"] == 12
    assert z["class_names"] == list(CLASSES)
    assert z["templates"] == templates
    assert z["data"] == user_data["folder"]
    assert set(z["per_class"]) == set(CLASSES)
    # Retrieval over the 3 distinct captions, computed directly.
    captions = [f"a photo of a {n.replace('_', ' ')}." for n in labels]
    assert report["data"]["pairs"] == 12
    assert report["data"]["distinct_captions"] == 3
    expected = caption_recall_at_k(
        reloaded.embed("image", list(paths)),
        reloaded.embed("text", captions), captions)
    for direction in ("image_to_text", "text_to_image"):
        for key in ("R@1", "R@5", "mean_rank"):
            assert report["retrieval"][direction][key] == pytest.approx(
                expected[direction][key], abs=1e-6)
    # 3 distinct captions: the true one is always in the top 5.
    assert report["retrieval"]["image_to_text"]["R@5"] == 1.0
    assert "zero_shot_confusion" in report["figures"]


def test_label_column_gives_the_classes(user_data, reloaded, tmp_path):
    from eval_fixtures import CLASSES
    from eval_fixtures import expected_zero_shot
    from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES

    out = tmp_path / "out"
    code = main(["eval", "--model", user_data["model"],
                 "--data", user_data["csv"], "--label-key", "class",
                 "--out", str(out)])
    assert code == 0
    z = _report(out)["zero_shot"]
    paths, labels = zip(*user_data["items"])
    top1, top5, _ = expected_zero_shot(reloaded, paths, labels, CLASSES,
                                       DEFAULT_TEMPLATES)
    assert z["templates"] == list(DEFAULT_TEMPLATES)
    assert (z["top1"], z["top5"]) == (pytest.approx(top1),
                                      pytest.approx(top5))
    assert z["data"] == user_data["csv"]


def test_templates_file_and_an_image_folder_as_data(user_data, tmp_path):
    templates = tmp_path / "templates.txt"
    templates.write_text("# prompts\na photo of a {}.\n\nart of the {}.\n")
    out = tmp_path / "out"
    # A run folder stands for its model.keras.
    code = main(["eval", "--model", str(user_data["tmp"]),
                 "--data", user_data["folder"],
                 "--templates-file", str(templates), "--out", str(out)])
    assert code == 0
    report = _report(out)
    assert report["model"] == os.path.abspath(user_data["model"])
    # The folder's classes are both its captions and its zero-shot classes.
    assert report["data"]["distinct_captions"] == 3
    assert report["zero_shot"]["templates"] == ["a photo of a {}.",
                                                "art of the {}."]
    assert report["zero_shot"]["num_images"] == 12


def test_a_pretrained_checkpoint_folder_directly(user_data, reloaded,
                                                 tmp_path):
    from keras_mm.models import save_pretrained

    checkpoint = tmp_path / "hf_clip"
    save_pretrained(reloaded, str(checkpoint), to="hf")
    out = tmp_path / "out"
    code = main(["eval", "--model", str(checkpoint),
                 "--data", user_data["folder"], "--out", str(out)])
    assert code == 0
    report = _report(out)
    assert report["zero_shot"]["num_classes"] == 3
    assert 0 <= report["zero_shot"]["top1"] <= 1


@pytest.mark.parametrize("extra, fragment", [
    (["--templates", "a photo of a cat"], "needs one {}"),
    (["--templates-file", "no_such_templates.txt"],
     "no_such_templates.txt"),
    (["--image-key", "nope"], "nope"),
    (["--label-key", "nope"], "nope"),
])
def test_bad_requests_exit_2_with_one_line(user_data, extra, fragment,
                                           capsys):
    code = main(["eval", "--model", user_data["model"],
                 "--data", user_data["csv"], *extra, "--out", "unused"])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and fragment in error


def test_wrong_columns_and_unlabelled_zero_shot_data_exit_2(user_data,
                                                            capsys):
    tmp = user_data["tmp"]
    wrong = tmp / "wrong.csv"
    wrong.write_text("a,b\nx,y\n")
    assert main(["eval", "--model", user_data["model"], "--data",
                 str(wrong)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "wrong.csv" in error
    unlabelled = tmp / "unlabelled.csv"
    unlabelled.write_text(
        "filepath,title\n" + os.path.relpath(user_data["items"][0][0], tmp)
        + ",a photo\n")
    assert main(["eval", "--model", user_data["model"], "--data",
                 user_data["csv"], "--zero-shot-data",
                 str(unlabelled)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "unlabelled.csv" in error


def test_bad_columns_are_reported_before_keras_loads(tmp_path):
    import subprocess
    import sys

    import keras_mm

    # The keras_mm under test, whatever the working directory.
    root = os.path.dirname(os.path.dirname(os.path.abspath(
        keras_mm.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    (tmp_path / "wrong.csv").write_text("a,b\nx,y\n")
    (tmp_path / "m.keras").write_bytes(b"")
    code = ("import sys; from keras_mm.cli.main import main; "
            "status = main(['eval', '--model', 'm.keras', '--data', "
            "'wrong.csv']); print(status, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                            env=env, capture_output=True, text=True,
                            check=True)
    # The last line (the first names the backend).
    assert result.stdout.splitlines()[-1].split() == ["2", "False"]
    assert "wrong.csv" in result.stderr and "columns found: a, b" in (
        result.stderr)


def test_webdataset_shards_as_data(user_data, tmp_path):
    # Images arrive as encoded bytes from the tars.
    from keras_mm.data.pair import Pair
    from keras_mm.data.webdataset import write_webdataset

    pairs = [Pair(path, f"a photo of a {name.replace('_', ' ')}.")
             for path, name in user_data["items"]]
    write_webdataset(pairs, str(tmp_path / "shards"), shard_size=5)
    out = tmp_path / "out"
    code = main(["eval", "--model", user_data["model"],
                 "--data", str(tmp_path / "shards" / "shard-{000000..000002}"
                               ".tar"),
                 "--zero-shot-data", user_data["folder"], "--out", str(out)])
    assert code == 0
    report = _report(out)
    assert report["data"]["pairs"] == 12
    assert report["data"]["distinct_captions"] == 3
    assert report["zero_shot"]["num_images"] == 12
