"""Readers → make_dataset → ContrastiveModel.fit, on the current backend."""

import os

import keras
import numpy as np
import pytest

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.manifest import read_manifest
from keras_mm.data.pipeline import make_dataset
from keras_mm.data.webdataset import iter_webdataset


@pytest.fixture(scope="module")
def model(preprocessor):
    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )

    keras.utils.set_random_seed(0)
    m = build_model(preprocessor.vocabulary_size, 32, 1, 2,
                    projection_dim=16)
    m.compile(optimizer=keras.optimizers.Adam(1e-3))
    return m


@pytest.fixture
def bad_manifest(builtin, tmp_path):
    """Rows 2-6 good, a missing file, a truncated PNG, an empty caption."""
    out, paths = builtin
    good = read_manifest(paths["csv"]["train"])[:16]
    png = open(good[0].media, "rb").read()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png[: len(png) // 2])
    rows = [f"{p.media},{p.text}" for p in good]
    rows.insert(3, f"{tmp_path / 'missing.png'},a red circle")
    rows.insert(6, f"{truncated},a blue square")
    rows.insert(9, f"{good[1].media},")
    path = tmp_path / "bad.csv"
    path.write_text("image,caption\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.large
def test_csv_and_streamed_shards_feed_fit(builtin, preprocessor, model):
    _, paths = builtin
    pairs = read_manifest(paths["csv"]["train"])
    ds = make_dataset(pairs, preprocessor, batch_size=16, shuffle=48,
                      drop_remainder=True)
    assert ds.options().autotune.enabled is False  # iterators close at once
    batch = next(iter(ds))
    assert batch["images"].shape == (16, 32, 32, 3)
    assert batch["token_ids"].dtype == "int32"
    assert str(batch["padding_mask"].dtype) == "<dtype: 'bool'>"
    history = model.fit(ds, epochs=1, verbose=0)
    streamed = make_dataset(
        lambda: iter_webdataset(paths["shards"]["train"]), preprocessor,
        batch_size=16, drop_remainder=True)
    history2 = model.fit(streamed, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.isfinite(history2.history["loss"][0])


@pytest.mark.large
def test_skip_mode_trains_to_the_end_with_exact_counts(
        bad_manifest, preprocessor, model, capsys):
    report = ErrorReport()
    pairs = read_manifest(bad_manifest, on_error="skip", report=report,
                          allow_outside_root=True)
    assert len(pairs) == 17  # the truncated PNG is only found by decoding
    ds = make_dataset(pairs, preprocessor, batch_size=16, on_error="skip",
                      report=report, drop_remainder=True)
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    expected = {"missing_file": 1, "undecodable": 1, "empty_caption": 1}
    assert report.epochs == [expected, expected]
    assert "epoch 2: skipped 3 records" in capsys.readouterr().out


def test_raise_mode_names_file_line_and_reason(bad_manifest, preprocessor,
                                               builtin):
    from keras_mm.data.errors import DataError

    with pytest.raises(DataError, match=r"bad\.csv, line 5: missing file"):
        read_manifest(bad_manifest, allow_outside_root=True)
    good = read_manifest(bad_manifest, check_files=True, on_error="skip",
                         allow_outside_root=True)
    ds = make_dataset(good, preprocessor, batch_size=4)
    # Decoding errors surface from tf.data as the reader's own DataError.
    with pytest.raises(DataError, match=r"bad\.csv, line 8: cannot decode "
                       r"image '.*truncated\.png'"):
        for _ in ds:
            pass


def test_cached_audio_pipeline_counts_each_epoch(builtin, preprocessor,
                                                 tmp_path):
    _, paths = builtin
    pairs = read_manifest(paths["audio"]["train"], media_key="audio",
                          text_key="transcript", modality="audio")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF1234WAVE")
    from keras_mm.data.pair import Pair

    pairs.append(Pair(str(broken), "a low tone", "extra", "audio"))
    report = ErrorReport(verbose=False)
    ds = make_dataset(pairs, preprocessor, modality="audio", batch_size=4,
                      audio_length=4000, sample_rate=4000, cache=True,
                      on_error="skip", report=report)
    sizes = [[b["audio"].shape[0] for b in ds] for _ in range(2)]
    assert sizes == [[4, 4], [4, 4]]
    assert report.epochs == [{"undecodable": 1}, {"undecodable": 1}]
    assert os.path.exists(paths["audio"]["train"])


def _wav_pairs(tmp_path):
    from keras_mm.data.media import write_wav
    from keras_mm.data.pair import Pair

    good = tmp_path / "good.wav"
    write_wav(str(good), np.zeros(400), 4000)
    raw = bytearray(good.read_bytes())
    raw[24:28] = b"\0\0\0\0"  # Sample rate 0.
    zero = tmp_path / "zero.wav"
    zero.write_bytes(bytes(raw))
    return [Pair(str(good), "a low tone", "m.csv, line 2", "audio"),
            Pair(str(zero), "a high tone", "m.csv, line 3", "audio"),
            Pair(str(good), "a low tone", "m.csv, line 4", "audio")]


def test_raise_mode_raises_data_error_itself(tmp_path, preprocessor):
    from keras_mm.data.errors import DataError

    ds = make_dataset(_wav_pairs(tmp_path), preprocessor, modality="audio",
                      batch_size=1, audio_length=400, sample_rate=4000)
    with pytest.raises(DataError, match=r"m\.csv, line 3: cannot decode "
                       r"WAV .*zero\.wav.* \(sample rate 0\)"):
        for _ in ds:
            pass


def test_skip_mode_counts_a_zero_sample_rate(tmp_path, preprocessor):
    report = ErrorReport(verbose=False)
    ds = make_dataset(_wav_pairs(tmp_path), preprocessor, modality="audio",
                      batch_size=1, audio_length=400, sample_rate=16000,
                      on_error="skip", report=report)
    assert len(list(ds)) == 2
    assert report.epochs == [{"undecodable": 1}]


def test_fit_in_raise_mode_raises_data_error(bad_manifest, preprocessor,
                                            model):
    from keras_mm.data.errors import DataError

    good = read_manifest(bad_manifest, on_error="skip",
                         allow_outside_root=True)
    ds = make_dataset(good, preprocessor, batch_size=4)
    with pytest.raises(DataError, match=r"bad\.csv, line 8: cannot decode"):
        model.fit(ds, epochs=1, verbose=0)
    with pytest.raises(DataError, match=r"bad\.csv, line 8: cannot decode"):
        model.evaluate(ds, verbose=0)
