"""`keras-mm export --data`: wrong usage exits 2 with one line before Keras
loads; an export on the user's pairs is self-contained and served."""

import base64
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from keras_mm.cli.main import main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "export"))
import export_fixture as fixture  # noqa: E402

INT8_MODES = ("dynamic", "full_int8", "full_int8_per_tensor")


def write_bare_keras(path, preprocessors=()):
    """A `.keras` zip whose config.json is all the argument checks read."""
    config = {"class_name": "ContrastiveModel",
              "config": {"encoders": {"image": {}, "text": {}},
                         "preprocessors": {m: {} for m in preprocessors}}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    return str(path)


def run_cli_without_keras(argv):
    """`main(argv)` in a fresh interpreter: (exit code, stderr); fails if
    Keras was imported."""
    code = ("import sys; from keras_mm.cli.main import main; "
            f"rc = main({argv!r}); "
            "assert 'keras' not in sys.modules, 'Keras was loaded'; "
            "sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=60)
    return result.returncode, result.stderr


def test_missing_model_names_the_path(tmp_path, capsys):
    missing = str(tmp_path / "nope.keras")
    assert main(["export", "--model", missing, "--data", "builtin",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert missing in err and "Traceback" not in err


def test_data_is_required(tmp_path, capsys):
    assert main(["export", "--model", "m.keras", "--out",
                 str(tmp_path)]) == 2
    assert "--data" in capsys.readouterr().err


def test_bad_quantize_choice_is_a_usage_error(tmp_path, capsys):
    code = main(["export", "--model", "m.keras", "--data", "builtin",
                 "--out", str(tmp_path), "--quantize", "int3"])
    assert code == 2
    assert "--quantize" in capsys.readouterr().err


def test_model_without_tokenizer_needs_a_vocabulary(tmp_path, capsys):
    model = write_bare_keras(tmp_path / "m.keras")
    code = main(["export", "--model", model, "--data", "builtin", "--out",
                 str(tmp_path / "out")])
    assert code == 2
    assert "vocab.txt" in capsys.readouterr().err


def test_not_a_keras_file_is_one_line(tmp_path, capsys):
    model = tmp_path / "m.keras"
    model.write_bytes(b"x")
    assert main(["export", "--model", str(model), "--data", "builtin",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a .keras model" in err


def test_out_folder_with_other_files_is_refused(tmp_path, capsys):
    model = write_bare_keras(tmp_path / "m.keras", ("image", "text"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("keep me")
    assert main(["export", "--model", model, "--data", "builtin", "--out",
                 str(tmp_path / "mine")]) == 2
    assert "--out" in capsys.readouterr().err
    assert (tmp_path / "mine" / "thesis.txt").read_text() == "keep me"


def test_out_that_cannot_be_a_folder_exits_2_before_keras_loads(tmp_path):
    model = write_bare_keras(tmp_path / "m.keras", ("image", "text"))
    (tmp_path / "a_file").write_text("x")
    for out, words in ((tmp_path / "a_file", "not a folder"),
                       (tmp_path / "a_file" / "export", "not a folder"),
                       ("/proc/keras_mm_export", "cannot write")):
        code, err = run_cli_without_keras(
            ["export", "--model", model, "--data", "builtin", "--out",
             str(out)])
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert words in err and "Traceback" not in err


def test_bad_data_exits_2_in_one_line_before_keras_loads(tmp_path):
    model = write_bare_keras(tmp_path / "m.keras", ("image", "text"))
    missing = str(tmp_path / "nowhere.csv")
    code, err = run_cli_without_keras(
        ["export", "--model", model, "--data", missing, "--out",
         str(tmp_path / "out")])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "nowhere.csv" in err and "Traceback" not in err
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("picture,words\na.png,a cat\n")
    code, err = run_cli_without_keras(
        ["export", "--model", model, "--data", str(wrong), "--out",
         str(tmp_path / "out")])
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "wrong.csv" in err and "picture" in err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def user_export(tmp_path_factory):
    """`keras-mm export --data` of a self-contained sequence-length-8 CLIP
    on an open_clip-style `filepath,title` CSV of PNGs."""
    root = tmp_path_factory.mktemp("user")
    model = fixture.write_self_contained_clip(str(root / "run"),
                                              sequence_length=8)
    manifest = fixture.write_png_manifest(str(root / "data"), num_pairs=12)
    out = root / "export"
    code = main(["export", "--model", model, "--data", manifest,
                 "--csv-img-key", "filepath", "--csv-caption-key", "title",
                 "--out", str(out), "--quantize", "int8",
                 "--representative-size", "6", "--eval-size", "6",
                 "--max-r1-drop", "0.5"])
    assert code == 0
    return model, manifest, out


@pytest.mark.large
def test_export_on_user_data_is_self_contained_and_int8(user_export):
    from ai_edge_litert.interpreter import Interpreter

    import keras_mm
    from keras_mm.export import LiteRTRunner
    from keras_mm.export import read_export_json

    model_path, manifest, out = user_export
    description = read_export_json(str(out))
    assert description["format"] == "litert"
    assert description["quantize"] == "int8"
    assert description["data"]["source"] == manifest
    assert description["data"]["check_pairs"] == 6
    assert description["data"]["calibration_pairs"] == 6
    text = description["preprocessing"]["text"]
    assert text["sequence_length"] == 8
    assert text["tokenizer"] == "CLIPTokenizer"
    for relative in (text["config"], *text["files"].values(),
                     description["preprocessing"]["image"]["config"]):
        assert (out / relative).is_file()
    model = keras_mm.load_model(model_path, compile=False)
    pixels = model.preprocessors["image"](
        [str(out.parent / "data" / "images" / f"{i:03d}.png")
         for i in range(4)])
    tokens = model.preprocessors["text"](["a red square", "a blue dot",
                                          "a green stripe", "a yellow dot"])
    reference = model.predict({"images": pixels, **tokens}, verbose=0)
    for modality, inputs in (("image", {"images": pixels}),
                             ("text", tokens)):
        tower = description["towers"][modality]
        path = str(out / tower["file"])
        assert tower["file"] == f"{modality}.tflite"
        assert tower["mode"] in INT8_MODES
        shapes = {i["name"]: i["shape"] for i in tower["inputs"]}
        if modality == "text":
            assert shapes == {"token_ids": [1, 8], "padding_mask": [1, 8]}
        else:
            assert shapes == {"images": [1, 32, 32, 3]}
        # The file holds int8 tensors and runs in the LiteRT interpreter
        # close to Keras on the user's own images and captions.
        interpreter = Interpreter(model_path=path)
        assert any(d["dtype"] == np.int8
                   for d in interpreter.get_tensor_details())
        lite = LiteRTRunner(path)(inputs)
        expected = reference[f"{modality}_embeddings"]
        cosine = np.sum(lite * expected, axis=1) / (
            np.linalg.norm(lite, axis=1) * np.linalg.norm(expected, axis=1))
        assert cosine.min() >= 0.99
    report = json.loads((out / "report.json").read_text())
    assert report["towers"]["image"]["path"] == str(out / "image.tflite")
    assert not (out / "candidates").exists()


@pytest.mark.large
def test_serve_litert_from_the_export_folder_alone(user_export, tmp_path,
                                                   monkeypatch):
    import shutil

    from starlette.testclient import TestClient

    from keras_mm.serving import server
    from keras_mm.serving.app import build_app

    model_path, manifest, out = user_export
    # Nothing else: the folder moved away from the run and its data.
    alone = tmp_path / "phone"
    shutil.copytree(out, alone)
    data = os.path.dirname(manifest)
    before = set(os.listdir(data))
    served = {}
    monkeypatch.setattr(server, "serve",
                        lambda service, **kw: served.update(service=service))
    assert main(["serve", "--model", str(alone), "--index", manifest,
                 "--image-key", "filepath", "--caption-key", "title",
                 "--max-batch-size", "4"]) == 0
    service = served["service"]
    try:
        assert service.runtime.name == "litert"
        assert len(service.index) == 12
        assert set(os.listdir(data)) == before  # Nothing in the data.
        assert (alone / "serve_index" / "pairs.index.npz").exists()
        with TestClient(build_app(service)) as client:
            texts = client.post("/embed/text", json={"texts": ["a red dot"]})
            image = base64.b64encode(open(
                os.path.join(data, "images", "003.png"), "rb").read()).decode()
            images = client.post("/embed/image", json={"images": [image]})
            by_text = client.post("/search", json={"text": "a red dot",
                                                   "k": 3})
            by_image = client.post("/search", json={"image": image, "k": 2})
    finally:
        service.close()
    for response in (texts, images, by_text, by_image):
        assert response.status_code == 200, response.text
    assert texts.json()["dim"] == 8 and texts.json()["runtime"] == "litert"
    assert len(by_text.json()["results"]) == 3
    assert len(by_image.json()["results"]) == 2


@pytest.mark.large
def test_export_command_on_builtin_data(quickstart_run, tmp_path, capsys):
    out_dir, _ = quickstart_run
    code = main(["export", "--model", str(out_dir / "model.keras"),
                 "--data", "builtin", "--out", str(tmp_path / "export"),
                 "--quantize", "dynamic", "--eval-size", "32",
                 "--representative-size", "8", "--max-r1-drop", "0.1"])
    assert code == 0
    printed = capsys.readouterr().out
    for modality in ("image", "text"):
        assert (tmp_path / "export" / f"{modality}.tflite").stat().st_size
        assert f"{modality}.tflite" in printed
    description = json.loads((tmp_path / "export" / "export.json").read_text())
    # The quickstart's vocab.txt went into the folder.
    (vocabulary,) = description["preprocessing"]["text"]["files"].values()
    assert (tmp_path / "export" / vocabulary).read_text().split() == (
        out_dir / "vocab.txt").read_text().split()
