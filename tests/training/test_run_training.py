"""A tiny `keras-mm train` run fills RUN/logs with every TensorBoard tag a
practitioner looks for, read back with tensorboard's event reader."""

import csv
import glob
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("matplotlib")

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220)}


def _write_pairs(folder, count, name, seed):
    from PIL import Image
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        colour = list(COLOURS)[i % 2]
        shape = ("square", "circle")[(i // 2) % 2]
        image = Image.new("RGB", (32, 32), (240, 240, 240))
        box = tuple(int(v) for v in (*rng.integers(2, 8, 2),
                                     *rng.integers(24, 30, 2)))
        getattr(ImageDraw.Draw(image),
                "rectangle" if shape == "square" else "ellipse")(
            box, fill=COLOURS[colour])
        path = os.path.join(folder, f"{name}_{i}.png")
        image.save(path)
        rows.append((path, f"a {colour} {shape}", colour))
    manifest = os.path.join(folder, f"{name}.csv")
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("filepath", "title", "label"))
        writer.writerows(rows)
    return manifest


def _tags(folder):
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator)

    accumulator = EventAccumulator(folder, size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: [event.step for event in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from keras_mm.cli.main import main

    folder = str(tmp_path_factory.mktemp("pairs"))
    out = str(tmp_path_factory.mktemp("run") / "run")
    assert main(["train", "--model", "clip-tiny",
                 "--train-data", _write_pairs(folder, 16, "train", 0),
                 "--val-data", _write_pairs(folder, 8, "val", 1),
                 "--out", out, "--epochs", "2", "--batch-size", "4",
                 "--verbose", "0"]) == 0
    return os.path.join(out, "logs")


def test_train_run_has_step_and_epoch_scalars(run):
    train = _tags(os.path.join(run, "train"))
    assert train["batch_loss"] == list(range(1, 9))  # 2 epochs x 4 steps
    assert train["batch_learning_rate"] == list(range(1, 9))
    for name in ("loss", "learning_rate", "samples_per_second"):
        assert train[f"epoch_{name}"] == [1, 2]  # epochs counted from 1
    # Weight histograms, one per trainable variable and epoch.
    assert any("kernel" in tag for tag in train)


def test_train_run_has_validation_recall_and_zero_shot(run):
    validation = _tags(os.path.join(run, "validation"))
    for name in ("loss", "i2t_R@1", "i2t_R@5", "t2i_R@1", "t2i_R@10",
                 "zero_shot_top1", "zero_shot_top5"):
        assert validation[f"epoch_{name}"] == [1, 2], name


def test_train_run_has_gradient_norms_and_images(run):
    assert set(_tags(run)) == {"grad_norm/image", "grad_norm/text"}
    attention = _tags(os.path.join(run, "attention"))
    (tag, steps), = attention.items()
    assert tag.startswith("attention/image_encoder/") and steps == [0, 1, 2]
    assert _tags(os.path.join(run, "retrieval")) == {
        "retrieval/image_to_text": [1, 2]}


def test_the_retrieval_grid_is_a_png_image(run):
    import io

    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator)
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(os.path.join(run, "retrieval"),
                                   size_guidance={"tensors": 0})
    accumulator.Reload()
    event = accumulator.Tensors("retrieval/image_to_text")[-1]
    width, height, png = tensor_util.make_ndarray(event.tensor_proto)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (int(width), int(height))
        assert image.width >= 300 and image.height >= 200
    # One event file per folder and writer: no second writer on a folder.
    assert len(glob.glob(os.path.join(run, "train", "events.*"))) == 1
