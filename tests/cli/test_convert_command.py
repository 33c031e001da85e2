"""`keras-mm convert` and `keras-mm embed` on a pretrained checkpoint."""

import os
import sys

import numpy as np
import pytest

from keras_mm.cli.main import main

pytest.importorskip("transformers")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models",
                                "clip"))
import hf_clip_fixture as fixture  # noqa: E402


@pytest.fixture(scope="module")
def hf_clip(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_clip"))
    fixture.write_hf_clip(folder)
    return folder, fixture.write_images(folder)


def test_convert_to_keras_and_back_to_hf(hf_clip, tmp_path):
    folder, images = hf_clip
    keras_path = str(tmp_path / "clip.keras")
    assert main(["convert", folder, "--out", keras_path]) == 0
    out = str(tmp_path / "hf")
    assert main(["convert", keras_path, "--to", "hf", "--out", out]) == 0
    text_ref, image_ref, _ = fixture.reference_clip_embeddings(
        out, fixture.TEXTS, images)
    original, _, _ = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    np.testing.assert_allclose(text_ref, original, atol=1e-5)

    rows_path = str(tmp_path / "rows.npy")
    argv = ["embed", "--model", keras_path, "--out", rows_path,
            "--text", fixture.TEXTS[0], "--image", images[0],
            "--text", fixture.TEXTS[1]]
    assert main(argv) == 0
    rows = np.load(rows_path)
    np.testing.assert_allclose(rows[[0, 2]], text_ref[:2], atol=1e-4)
    np.testing.assert_allclose(rows[1], image_ref[0], atol=1e-4)


def test_embed_takes_the_checkpoint_folder(hf_clip, tmp_path):
    folder, images = hf_clip
    out = str(tmp_path / "rows.npy")
    assert main(["embed", "--model", folder, "--image", images[1],
                 "--out", out]) == 0
    _, image_ref, _ = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    np.testing.assert_allclose(np.load(out)[0], image_ref[1], atol=1e-4)


def test_bad_convert_usage_exits_2(hf_clip, tmp_path, capsys):
    folder, _ = hf_clip
    assert main(["convert", folder, "--out", str(tmp_path / "x.h5")]) == 2
    assert "--out must end in .keras" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "missing"), "--out",
                 str(tmp_path / "x.keras")]) == 2
    assert main(["convert", folder, "--to", "hf", "--out",
                 str(tmp_path / "o")]) == 2
    assert main(["embed", "--model", folder, "--audio",
                 str(tmp_path / "none.wav"), "--out",
                 str(tmp_path / "e.npy")]) == 2
