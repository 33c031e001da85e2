"""`keras-mm index build` on a tiny CLIP: shards, resume, search, errors."""

import json
import os

import numpy as np
import pytest

from keras_mm.cli.main import main

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")

COLORS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (200, 200, 0),
          (0, 200, 200), (90, 30, 160), (10, 10, 10)]


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    from PIL import Image

    from keras_mm.presets import from_preset

    folder = tmp_path_factory.mktemp("collection")
    model = from_preset("clip-tiny", encoders__text__vocabulary_size=16,
                        encoders__image__num_layers=1,
                        encoders__text__num_layers=1)
    model.save(folder / "model.keras")
    lines = ["filepath,title,kind"]
    for i, color in enumerate(COLORS):
        Image.new("RGB", (40, 40), color).save(folder / f"{i}.png")
        lines.append(f"{i}.png,colour {i},{'dark' if i % 2 else 'bright'}")
    (folder / "photos.csv").write_text("\n".join(lines) + "\n")
    return folder


def _build(collection, out, *extra):
    return main(["index", "build", "--model",
                 str(collection / "model.keras"), "--data",
                 str(collection / "photos.csv"), "--out", str(out),
                 "--shard-size", "3", "--batch-size", "2", *extra])


def test_builds_resumes_and_searches(collection, tmp_path, capsys):
    from keras_mm.indexing import FaissIndex
    from keras_mm.inference.embedder import Embedder

    out = tmp_path / "index"
    assert _build(collection, out) == 0
    info = json.loads((out / "index.json").read_text())
    assert info["count"] == 7 and info["index_spec"] == "Flat"
    assert info["recall_at_10"] == 1.0 and info["modality"] == "image"
    assert sorted(os.listdir(out / "shards")) == [
        "00000.parquet", "00001.parquet", "00002.parquet"]
    rows = np.load(out / "embeddings.npy")
    direct = Embedder.from_spec(str(collection / "model.keras")).embed_images(
        [str(collection / f"{i}.png") for i in range(7)])
    direct /= np.linalg.norm(direct, axis=1, keepdims=True)
    np.testing.assert_allclose(rows, direct, atol=1e-5)

    os.remove(out / "shards" / "00001.parquet")
    os.remove(out / "index.json")
    assert _build(collection, out) == 0
    assert "(4 reused" in capsys.readouterr().out
    np.testing.assert_allclose(np.load(out / "embeddings.npy"), rows,
                               atol=1e-6)

    index = FaissIndex(str(out))
    hits = index.search(rows[4], k=3, where={"kind": "bright"})
    assert hits[0]["row"] == 4 and hits[0]["caption"] == "colour 4"
    assert {h["kind"] for h in hits} == {"bright"}


def test_bad_input_is_one_line_and_exit_2(collection, tmp_path, capsys):
    assert main(["index", "build", "--model", "m.keras", "--data",
                 str(tmp_path / "none.csv"), "--out",
                 str(tmp_path / "i")]) == 2
    assert "No data at" in capsys.readouterr().err
    assert _build(collection, tmp_path / "i", "--shard-size", "0") == 2
    assert "--shard-size must be >= 1" in capsys.readouterr().err
    assert main(["index"]) == 2
    assert "an action is required" in capsys.readouterr().err


@pytest.mark.large
def test_resumes_after_sigkill(tmp_path):
    """A build killed with SIGKILL after a few shards resumes from them."""
    import signal
    import subprocess
    import sys
    import time

    from PIL import Image

    from keras_mm.presets import from_preset

    from_preset("clip-tiny", encoders__image__num_layers=1,
                encoders__text__num_layers=1).save(tmp_path / "model.keras")
    lines = ["filepath,title"]
    for i in range(60):
        Image.new("RGB", (32, 32), (4 * i, 200 - 3 * i, 60)).save(
            tmp_path / f"{i}.png")
        lines.append(f"{i}.png,square {i}")
    (tmp_path / "photos.csv").write_text("\n".join(lines) + "\n")
    argv = ["index", "build", "--model", str(tmp_path / "model.keras"),
            "--data", str(tmp_path / "photos.csv"), "--shard-size", "2",
            "--batch-size", "2"]
    shards = tmp_path / "killed" / "shards"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from keras_mm.cli.main import "
         "main; sys.exit(main(sys.argv[1:]))", *argv, "--out",
         str(tmp_path / "killed")], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if shards.is_dir() and len(list(shards.glob("*.parquet"))) >= 2:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    finished = len(list(shards.glob("*.parquet")))
    assert 2 <= finished < 30, "the build ended before it could be killed"
    assert not (tmp_path / "killed" / "index.json").exists()
    assert main(argv + ["--out", str(tmp_path / "killed")]) == 0
    assert main(argv + ["--out", str(tmp_path / "fresh")]) == 0
    import json

    info = json.loads((tmp_path / "killed" / "index.json").read_text())
    assert info["rows_reused"] >= 2 * finished
    assert info["rows_reused"] + info["rows_embedded"] == 60
    np.testing.assert_allclose(
        np.load(tmp_path / "killed" / "embeddings.npy"),
        np.load(tmp_path / "fresh" / "embeddings.npy"), atol=1e-6)
