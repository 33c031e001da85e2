import json

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import parse_manifest
from keras_mm.data.manifest import read_manifest


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "img").mkdir()
    for name in ("a.png", "b.png"):
        (tmp_path / "img" / name).write_bytes(b"x")
    return tmp_path


def test_csv_tsv_jsonl_with_custom_columns_and_relative_paths(folder):
    (folder / "m.csv").write_text("filepath,title\nimg/a.png,a cat\n"
                                  "img/b.png,\"a dog, running\"\n")
    (folder / "m.tsv").write_text("filepath\ttitle\nimg/a.png\ta cat\n"
                                  "img/b.png\ta dog, running\n")
    (folder / "m.jsonl").write_text(
        json.dumps({"filepath": "img/a.png", "title": "a cat"}) + "\n\n"
        + json.dumps({"filepath": "img/b.png", "title": "a dog, running"}))
    for name in ("m.csv", "m.tsv", "m.jsonl"):
        pairs = read_manifest(folder / name, media_key="filepath",
                              text_key="title")
        assert [p.text for p in pairs] == ["a cat", "a dog, running"]
        assert pairs[1].media == str(folder / "img" / "b.png")


def test_raise_names_file_line_and_reason(folder):
    path = folder / "m.csv"
    path.write_text("image,caption\nimg/a.png,ok\nimg/missing.png,x\n")
    with pytest.raises(DataError, match=r"m\.csv, line 3: missing file"):
        read_manifest(path)
    path.write_text("image,caption\nimg/a.png,ok\nimg/b.png,  \n")
    with pytest.raises(DataError, match=r"line 3: empty caption"):
        read_manifest(path)
    with pytest.raises(DataError, match="no column 'text'"):
        read_manifest(path, text_key="text")


def test_skip_counts_each_reason(folder):
    path = folder / "m.csv"
    path.write_text("image,caption\nimg/a.png,ok\nimg/nope.png,x\n"
                    "img/b.png,\nimg/b.png," + "w" * 50 + "\n")
    report = ErrorReport(verbose=False)
    pairs = read_manifest(path, on_error="skip", report=report,
                          max_text_length=20)
    assert [p.text for p in pairs] == ["ok"]
    assert report.read_counts == {"missing_file": 1, "empty_caption": 1,
                                  "long_caption": 1}


def test_missing_manifest_and_bad_on_error(folder):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_manifest(folder / "nope.csv")
    with pytest.raises(ValueError, match="on_error"):
        parse_manifest("", on_error="ignore")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(max_size=200), st.sampled_from(["csv", "tsv", "jsonl"]),
       st.sampled_from(["raise", "skip"]))
def test_random_text_parses_or_raises_data_error(text, fmt, on_error):
    try:
        pairs = parse_manifest(text, fmt=fmt, check_files=False,
                               on_error=on_error)
    except DataError as e:
        assert on_error == "raise" and e.reason
        return
    assert all(p.text.strip() for p in pairs)
