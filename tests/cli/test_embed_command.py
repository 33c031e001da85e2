"""`keras-mm embed` writes one row per input, in command-line order."""

import keras
import numpy as np
import pytest

from keras_mm.cli.main import main

WORDS = ["a", "red", "blue", "circle", "square"]


def _png(path, color):
    from PIL import Image

    Image.new("RGB", (40, 40), color).save(path)
    return str(path)


def test_checkpoint_folder_texts_in_order(tmp_path):
    from keras_mm.checkpoints import load_checkpoint
    from keras_mm.checkpoints import write_random_hf_bert

    folder = tmp_path / "st_model"
    write_random_hf_bert(folder, sentence_transformers_pooling="mean",
                         normalize=True)
    out = tmp_path / "emb.npy"
    texts = ["a red circle", "blue square", "a circle"]
    argv = ["embed", "--model", str(folder), "--out", str(out)]
    for text in texts:
        argv += ["--text", text]
    assert main(argv) == 0
    rows = np.load(out)
    expected = load_checkpoint(str(folder)).embed_texts(texts)
    assert rows.shape == (3, 32)
    np.testing.assert_allclose(rows, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=-1), 1.0, atol=1e-5)


def test_keras_model_mixed_texts_and_images(tmp_path):
    from keras_mm.presets import from_preset

    model = from_preset("clip-tiny", encoders__text__vocabulary_size=16,
                        encoders__image__num_layers=1,
                        encoders__text__num_layers=1)
    model.save(tmp_path / "model.keras")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    red = _png(tmp_path / "red.png", (255, 0, 0))
    out = tmp_path / "emb.npy"
    assert main(["embed", "--model", str(tmp_path / "model.keras"),
                 "--text", "a red circle", "--image", red,
                 "--text", "blue square", "--out", str(out)]) == 0
    rows = np.load(out)
    assert rows.shape == (3, 64)
    image = np.full((1, 32, 32, 3), [255, 0, 0], "float32")
    np.testing.assert_allclose(
        rows[1], keras.ops.convert_to_numpy(
            model.encode("image", {"images": image}))[0],
        atol=1e-5)
    assert not np.allclose(rows[0], rows[2], atol=1e-4)


def test_preset_name_embeds_an_image(tmp_path):
    out = tmp_path / "emb.npy"
    png = _png(tmp_path / "x.png", (0, 0, 255))
    assert main(["embed", "--model", "clip-tiny", "--image", png,
                 "--out", str(out)]) == 0
    assert np.load(out).shape == (1, 64)


@pytest.mark.parametrize("argv, fragment", [
    (["embed", "--model", "clip-tiny", "--out", "x.npy"], "at least one"),
    (["embed", "--model", "no-such-model", "--text", "a", "--out", "x.npy"],
     "not a .keras file"),
    (["embed", "--model", "clip-tiny", "--image", "missing.png", "--out",
      "x.npy"], "missing.png"),
    (["embed", "--model", "missing/model.keras", "--text", "a", "--out",
      "x.npy"], "missing/model.keras"),
    (["embed", "--model", "clip-tiny", "--text", "a", "--out", "x.npy"],
     "vocab"),
])
def test_wrong_usage_is_one_line(argv, fragment, capsys, tmp_path,
                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err
    assert not (tmp_path / "x.npy").exists()
