"""One reader for the user's layouts, with columns found or named."""

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from keras_mm.data import DataError
from keras_mm.data import check_source
from keras_mm.data import read_pairs
from keras_mm.data import resolve_columns
from keras_mm.data import stream_pairs
from keras_mm.data.sources import expand_braces
from keras_mm.data.webdataset import write_webdataset


def _image(path, colour=(200, 30, 30)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new("RGB", (12, 10), colour).save(path)
    return path


def _csv(path, header, rows, separator=","):
    with open(path, "w") as f:
        f.write(separator.join(header) + "\n")
        for row in rows:
            f.write(separator.join(row) + "\n")
    return str(path)


@pytest.mark.parametrize("header", [("filepath", "title"),
                                    ("image", "caption"),
                                    ("file_name", "text")])
def test_common_column_names_are_found(tmp_path, header):
    _image(str(tmp_path / "a.png"))
    path = _csv(tmp_path / "m.csv", header, [("a.png", "a red square")])
    pairs = read_pairs(path)
    assert [(os.path.basename(p.media), p.text) for p in pairs] == [
        ("a.png", "a red square")]


def test_named_columns_separator_and_label(tmp_path):
    _image(str(tmp_path / "a.png"))
    path = _csv(tmp_path / "m.txt", ("pic", "words", "class"),
                [("a.png", "a red square", "square")], separator="|")
    pairs = read_pairs(path, media_key="pic", caption_key="words",
                       separator="|")
    assert pairs[0].text == "a red square"
    assert pairs[0].meta["label"] == "square"  # found by its common name


def test_label_only_manifest_uses_the_label_as_caption(tmp_path):
    _image(str(tmp_path / "a.png"))
    path = _csv(tmp_path / "m.csv", ("image", "label"), [("a.png", "cat")])
    [pair] = read_pairs(path)
    assert (pair.text, pair.meta["label"]) == ("cat", "cat")


def test_unusable_columns_name_the_columns_found(tmp_path):
    path = _csv(tmp_path / "m.csv", ("picture", "words"), [("a", "b")])
    with pytest.raises(DataError) as error:
        check_source(path)
    message = str(error.value)
    assert "no image column" in message and "picture, words" in message
    assert "\n" not in message
    with pytest.raises(DataError, match="no caption column 'title'"):
        resolve_columns(["image", "caption"], "m.csv", caption_key="title")


def test_image_folder_classes(tmp_path):
    _image(str(tmp_path / "golden_retriever" / "1.jpg"))
    _image(str(tmp_path / "tabby" / "1.png"))
    _image(str(tmp_path / "tabby" / "2.png"))
    (tmp_path / "tabby" / "notes.txt").write_text("not an image")
    assert check_source(str(tmp_path))["classes"] == ["golden_retriever",
                                                       "tabby"]
    pairs = read_pairs(str(tmp_path))
    assert [(p.text, p.meta["label"]) for p in pairs] == [
        ("golden retriever", "golden_retriever"), ("tabby", "tabby"),
        ("tabby", "tabby")]


def test_coco_captions_file(tmp_path):
    _image(str(tmp_path / "1.png"))
    coco = {"images": [{"id": 1, "file_name": "1.png"}],
            "annotations": [{"image_id": 1, "caption": "one"},
                            {"image_id": 1, "caption": "two"}]}
    (tmp_path / "captions.json").write_text(json.dumps(coco))
    assert check_source(str(tmp_path / "captions.json"))["kind"] == "coco"
    assert [p.text for p in read_pairs(str(tmp_path / "captions.json"))] == [
        "one", "two"]


def test_jsonl_manifest_is_not_taken_for_coco(tmp_path):
    _image(str(tmp_path / "a.png"))
    (tmp_path / "m.json").write_text(
        '{"file_name": "a.png", "text": "x"}\n'
        '{"file_name": "a.png", "text": "y", "annotations": 1}\n')
    assert [p.text for p in read_pairs(str(tmp_path / "m.json"))] == [
        "x", "y"]


def test_shard_specs_stream(tmp_path):
    pairs = read_pairs(_csv(tmp_path / "m.csv", ("image", "caption"), [
        (os.path.basename(_image(str(tmp_path / f"{i}.png"))), f"c{i}")
        for i in range(5)]))
    write_webdataset(pairs, str(tmp_path / "shards"), shard_size=2)
    names = sorted(os.listdir(tmp_path / "shards"))
    assert len(names) == 3
    stem = names[0].rsplit("-", 1)[0]
    spec = str(tmp_path / "shards" / f"{stem}-{{000000..000002}}.tar")
    assert expand_braces("s-{08..10}.tar") == ["s-08.tar", "s-09.tar",
                                               "s-10.tar"]
    stream = stream_pairs(spec)
    assert [p.text for p in stream()] == [f"c{i}" for i in range(5)]
    assert [p.text for p in stream()] == [f"c{i}" for i in range(5)]
    assert len(read_pairs(str(tmp_path / "shards"))) == 5
    assert len(read_pairs(str(tmp_path / "shards" / "*.tar"))) == 5
    with pytest.raises(FileNotFoundError, match="No shard at"):
        check_source(str(tmp_path / "shards" / f"{stem}-{{0..9}}.tar"))


def test_bad_rows_are_counted_not_fatal(tmp_path):
    from keras_mm.data import ErrorReport

    _image(str(tmp_path / "a.png"))
    path = _csv(tmp_path / "m.csv", ("filepath", "title"),
                [("a.png", "ok"), ("missing.png", "gone"), ("a.png", " ")])
    report = ErrorReport(verbose=False)
    assert len(read_pairs(path, report=report)) == 1
    assert report.totals() == {"missing_file": 1, "empty_caption": 1}


def test_checks_import_neither_keras_nor_tensorflow(tmp_path):
    path = _csv(tmp_path / "m.csv", ("filepath", "title"), [("a", "b")])
    code = ("import sys; from keras_mm.data import check_source; "
            f"check_source({path!r}); "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_videos_with_subtitles_become_clip_pairs(tmp_path):
    import video_files

    from keras_mm.data import write_srt
    from keras_mm.data.srt import Subtitle

    video_files.write_moving_square(str(tmp_path / "talk.mp4"))
    write_srt([Subtitle(1, 0.0, 0.9, "the square moves right"),
               Subtitle(2, 1.0, 1.9, "the square moves down")],
              str(tmp_path / "talk.srt"))
    info = check_source(str(tmp_path), modality="video")
    assert info["kind"] == "video_subtitles"
    pairs = read_pairs(str(tmp_path), modality="video")
    assert [p.text for p in pairs] == ["the square moves right",
                                       "the square moves down"]
    assert pairs[0].media.startswith(str(tmp_path / "talk.mp4") + "#t=")
