"""The user's files become model inputs through the model's preprocessors."""

import os
import types

import numpy as np
import pytest
from PIL import Image

from keras_mm.data import DataError
from keras_mm.data import ErrorReport
from keras_mm.data import model_dataset
from keras_mm.data import read_pairs
from keras_mm.data import stream_pairs
from keras_mm.data.webdataset import write_webdataset

COLOURS = {"red": (220, 20, 20), "blue": (20, 20, 220)}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rows = ["filepath,title"]
    for i in range(6):
        name = "red" if i % 2 == 0 else "blue"
        Image.new("RGB", (40, 24), COLOURS[name]).save(folder / f"{i}.png")
        rows.append(f"{i}.png,a {name} photo")
    (folder / "broken.png").write_bytes(b"not a png")
    rows.append("broken.png,a broken photo")
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    return str(folder / "train.csv")


@pytest.fixture(scope="module")
def model(manifest):
    import keras_mm.quickstart
    from keras_mm.data import TextPreprocessor
    from keras_mm.models import ImagePreprocessor

    text = TextPreprocessor.from_corpus(
        ["a red photo", "a blue photo", "a broken photo"],
        vocabulary_size=32, sequence_length=32)
    model = keras_mm.models.clip.build_quickstart_clip(
        text.vocabulary_size, 16, 1, 2, projection_dim=8)
    model.preprocessors = {"text": text,
                           "image": ImagePreprocessor(size=(32, 32))}
    return model


def _batches(dataset):
    return [{k: np.asarray(v) for k, v in b.items()} for b in dataset]


def test_inputs_come_from_the_model_preprocessors(manifest, model):
    pairs = read_pairs(manifest)
    report = ErrorReport(verbose=False)
    batches = _batches(model_dataset(pairs, model, batch_size=4,
                                     report=report))
    assert sorted(batches[0]) == ["images", "padding_mask", "token_ids"]
    images = np.concatenate([b["images"] for b in batches])
    token_ids = np.concatenate([b["token_ids"] for b in batches])
    assert images.shape == (6, 32, 32, 3)  # the broken file is skipped
    assert report.totals() == {"undecodable": 1}
    expected = model.preprocessors["image"]([p.media for p in pairs[:6]])
    np.testing.assert_array_equal(images, expected)
    np.testing.assert_array_equal(
        token_ids, model.preprocessors["text"]([p.text for p in pairs[:6]])
        ["token_ids"])


def test_shards_stream_with_encoded_bytes(manifest, model, tmp_path):
    pairs = read_pairs(manifest)[:6]
    write_webdataset(pairs, str(tmp_path), shard_size=4)
    dataset = model_dataset(stream_pairs(str(tmp_path)), model,
                            batch_size=4)
    images = np.concatenate([b["images"] for b in _batches(dataset)])
    np.testing.assert_array_equal(
        images, model.preprocessors["image"]([p.media for p in pairs]))


def test_fit_on_the_dataset(manifest, model):
    model.compile(optimizer="adam")
    history = model.fit(model_dataset(read_pairs(manifest), model,
                                      batch_size=3, shuffle=True),
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_a_model_without_preprocessors_is_refused(manifest):
    import keras_mm.quickstart

    bare = keras_mm.models.clip.build_quickstart_clip(32, 16, 1, 2,
                                                      projection_dim=8)
    with pytest.raises(ValueError, match="no image preprocessor"):
        model_dataset(read_pairs(manifest), bare)


def test_audio_files_are_read_at_the_preprocessor_rate(tmp_path):
    from keras_mm.data import write_wav
    from keras_mm.data.model_dataset import media_loader

    class Rate8k:
        sampling_rate = 8000

        def __call__(self, waves):
            return np.stack([w[:100] for w in waves])

    wave = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 5).astype("float32")
    write_wav(str(tmp_path / "a.wav"), wave, 16000)
    loaded = media_loader("audio", Rate8k())(str(tmp_path / "a.wav"))[None]
    np.testing.assert_allclose(loaded, wave[:200:2], atol=2e-3)
    assert os.path.exists(tmp_path / "a.wav")


def test_a_sample_of_another_shape_is_skipped_and_named(tmp_path, model):
    # Samples are decoded in chunks and stacked: one whose preprocessed
    # shape differs from the first sample's is a bad sample, not a crash.
    rows = ["filepath,title"]
    for i, size in enumerate([(32, 32), (32, 32), (20, 32), (32, 32)]):
        Image.new("RGB", size, COLOURS["red"]).save(tmp_path / f"{i}.png")
        rows.append(f"{i}.png,a red photo")
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")

    def unresized(media):  # an image preprocessor that keeps the size
        return np.stack([np.asarray(Image.open(m).convert("RGB"),
                                    "float32") for m in media])

    as_is = types.SimpleNamespace(
        encoders=model.encoders,
        preprocessors={"text": model.preprocessors["text"],
                       "image": unresized})
    report = ErrorReport(verbose=False)
    batches = _batches(model_dataset(read_pairs(str(tmp_path / "train.csv")),
                                     as_is, batch_size=4, report=report))
    assert np.concatenate([b["images"] for b in batches]).shape == (
        3, 32, 32, 3)
    assert report.totals() == {"undecodable": 1}
    with pytest.raises(DataError, match=r"train\.csv, line 4: images of "
                       r"shape \(32, 20, 3\), expected \(32, 32, 3\)"):
        _batches(model_dataset(read_pairs(str(tmp_path / "train.csv")),
                               as_is, batch_size=4, on_error="raise"))
