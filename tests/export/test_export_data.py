"""Export inputs from the user's pairs, through the model's preprocessors."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import export_fixture as fixture  # noqa: E402

from keras_mm.data.errors import DataError  # noqa: E402
from keras_mm.data.manifest import read_manifest  # noqa: E402
from keras_mm.data.pair import Pair  # noqa: E402
from keras_mm.export.export_data import export_inputs  # noqa: E402
from keras_mm.export.export_data import model_preprocessors  # noqa: E402
from keras_mm.export.export_data import split_pairs  # noqa: E402


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("user_data"))
    manifest = fixture.write_png_manifest(folder, num_pairs=10)
    return read_manifest(manifest, media_key="filepath", text_key="title")


@pytest.fixture(scope="module")
def model():
    return fixture.build_self_contained_clip(sequence_length=8)


def test_split_is_disjoint_seeded_and_sized():
    pairs = [Pair(f"{i}.png", f"c{i}") for i in range(10)]
    calibration, check = split_pairs(pairs, num_representative=3,
                                     num_eval=500)
    assert len(check) == 5 and len(calibration) == 3  # half of 10 checks
    assert not {p.media for p in check} & {p.media for p in calibration}
    assert split_pairs(pairs, 3, 500) == (calibration, check)
    calibration, check = split_pairs(pairs, 100, 4)
    assert len(check) == 4 and len(calibration) == 6


def test_self_contained_model_uses_its_own_preprocessors(model, pairs):
    preprocessors = model_preprocessors(model)
    assert preprocessors is not model.preprocessors
    assert preprocessors["text"] is model.preprocessors["text"]
    eval_inputs, captions, representative = export_inputs(
        model, pairs, preprocessors, num_representative=3, num_eval=4)
    # Sequence length 8, from the model, and the images resized and
    # centre-cropped from 40x52 / 48x36 by the model's preprocessor.
    assert eval_inputs["token_ids"].shape == (4, 8)
    assert eval_inputs["token_ids"].dtype == np.int32
    assert eval_inputs["padding_mask"].dtype == bool
    assert eval_inputs["images"].shape == (4, 32, 32, 3)
    expected = model.preprocessors["text"](captions)["token_ids"]
    np.testing.assert_array_equal(eval_inputs["token_ids"], expected)
    assert len(representative["image"]) == 3
    assert set(representative["image"][0]) == {"images"}
    assert set(representative["text"][0]) == {"token_ids", "padding_mask"}
    assert representative["text"][0]["token_ids"].shape == (1, 8)


def test_model_without_tokenizer_gets_vocab_at_its_sequence_length(
        tmp_path, pairs):
    from keras_mm.data.text_preprocessor import RESERVED_TOKENS

    model = fixture.build_self_contained_clip(sequence_length=8)
    model.preprocessors = {}  # A quickstart-style model: vocab.txt beside.
    vocab = tmp_path / "vocab.txt"
    words = sorted({w for p in pairs for w in p.text.split()})
    vocab.write_text("\n".join([*RESERVED_TOKENS, *words]) + "\n")
    with pytest.raises(ValueError, match="--vocab"):
        model_preprocessors(model)
    preprocessors = model_preprocessors(model, str(vocab))
    assert preprocessors["text"].sequence_length == 8
    assert preprocessors["image"].output_size == (32, 32)
    eval_inputs, _, _ = export_inputs(model, pairs, preprocessors,
                                      num_representative=2, num_eval=3)
    assert eval_inputs["token_ids"].shape == (3, 8)
    assert eval_inputs["images"].shape == (3, 32, 32, 3)


def test_sequence_length_mismatch_names_both(model):
    from keras_mm.data.text_preprocessor import TextPreprocessor

    text = TextPreprocessor.from_corpus(["a red square"], sequence_length=32)
    viewed = type("View", (), {"preprocessors": {"text": text},
                               "modalities": model.modalities,
                               "encoders": model.encoders})()
    with pytest.raises(ValueError, match="packs 32 tokens but its text "
                       "tower takes 8"):
        model_preprocessors(viewed)


def test_unreadable_images_are_skipped_and_counted(tmp_path, model, pairs):
    from keras_mm.data.error_report import ErrorReport

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    mixed = [Pair(str(broken), "a broken picture", "pairs.csv, line 2"),
             *pairs]
    report = ErrorReport(verbose=False)
    _, captions, representative = export_inputs(
        model, mixed, model_preprocessors(model), num_representative=20,
        num_eval=500, report=report)
    assert sum(report.totals().values()) == 1
    assert "a broken picture" not in captions
    assert len(captions) + len(representative["image"]) == len(pairs)
    with pytest.raises(DataError, match="broken.png"):
        export_inputs(model, mixed, model_preprocessors(model),
                      num_representative=20, num_eval=500)


def test_too_few_pairs_is_one_clear_error(model, pairs):
    with pytest.raises(ValueError, match="pairs.csv has 2 usable pairs"):
        export_inputs(model, pairs[:2], model_preprocessors(model),
                      source="pairs.csv")
