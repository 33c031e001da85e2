"""A model's preprocessors written as files and rebuilt from them."""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import export_fixture as fixture  # noqa: E402

from keras_mm.export.preprocessing_assets import describe_preprocessor  # noqa: E402,E501
from keras_mm.export.preprocessing_assets import load_preprocessors  # noqa: E402,E501
from keras_mm.export.preprocessing_assets import save_preprocessors  # noqa: E402,E501

TEXTS = ["a red square", "Two DOGS playing, in the snow!", "x"]


def test_bpe_tokenizer_and_image_preprocessing_round_trip(tmp_path):
    model = fixture.build_self_contained_clip(sequence_length=8)
    written = save_preprocessors(model.preprocessors, str(tmp_path))
    files = written["text"]["files"]
    assert sorted(files) == ["merges.txt", "vocabulary.json"]
    for relative in files.values():
        assert (tmp_path / relative).stat().st_size > 0
    assert written["image"] == {"config": "preprocessing/image.json",
                                "files": {}}
    rebuilt = load_preprocessors(str(tmp_path))
    for key in ("token_ids", "padding_mask"):
        np.testing.assert_array_equal(
            rebuilt["text"](TEXTS)[key],
            model.preprocessors["text"](TEXTS)[key])
    fixture.write_png_manifest(str(tmp_path / "data"), num_pairs=2)
    image = str(tmp_path / "data" / "images" / "001.png")  # 40x52
    np.testing.assert_array_equal(rebuilt["image"]([image]),
                                  model.preprocessors["image"]([image]))


def test_wordpiece_vocabulary_is_written_as_a_file(tmp_path):
    from keras_mm.data.text_preprocessor import TextPreprocessor

    text = TextPreprocessor.from_corpus(TEXTS, sequence_length=6)
    written = save_preprocessors({"text": text}, str(tmp_path))
    (vocabulary,) = written["text"]["files"].values()
    lines = (tmp_path / vocabulary).read_text().split("\n")
    assert lines[:len(text.vocabulary)] == text.vocabulary
    rebuilt = load_preprocessors(str(tmp_path))["text"]
    np.testing.assert_array_equal(rebuilt(TEXTS)["token_ids"],
                                  text(TEXTS)["token_ids"])


def test_description_gives_what_a_mobile_app_needs():
    model = fixture.build_self_contained_clip(sequence_length=8)
    text = describe_preprocessor("text", model.preprocessors["text"])
    tokenizer = model.preprocessors["text"].tokenizer
    assert text["tokenizer"] == "CLIPTokenizer"
    assert text["sequence_length"] == 8 and text["lowercase"] is True
    assert text["start_id"] == tokenizer.token_to_id("<|startoftext|>")
    assert text["end_id"] == text["pad_id"] == tokenizer.end_token_id
    assert text["vocabulary_size"] == len(tokenizer.get_vocabulary())
    image = describe_preprocessor("image", model.preprocessors["image"],
                                  model.encoders["image"])
    assert (image["size"], image["crop_size"]) == (32, 32)
    assert image["resample"] == "bilinear"
    assert image["value_range"] == [0, 255]
    # This tower rescales [0, 255] to [-1, 1] in the graph.
    assert image["normalization"] == {"inside_tower": True,
                                      "scale": 1 / 127.5, "offset": -1.0}
    json.dumps([text, image])  # Plain JSON.
