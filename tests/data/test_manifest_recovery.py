"""A bad manifest row never costs the rows after it."""

import json

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import MAX_CAPTION_LENGTH
from keras_mm.data.manifest import parse_manifest
from keras_mm.data.manifest import read_manifest

GOOD = "".join(f"{i}.png,caption {i}\n" for i in range(50))


def _skip(text, fmt="csv", **kwargs):
    report = ErrorReport(verbose=False)
    pairs = parse_manifest(text, fmt=fmt, check_files=False, on_error="skip",
                           report=report, **kwargs)
    return pairs, report.read_counts


def test_a_200kb_caption_is_read_and_the_rows_after_it_kept():
    long_row = "x.png," + "a" * 200_000 + "\n"
    pairs, counts = _skip("image,caption\n" + long_row + GOOD)
    assert len(pairs) == 51 and counts == {}
    pairs, counts = _skip("image,caption\n" + long_row + GOOD,
                          max_text_length=1000)
    assert len(pairs) == 50 and counts == {"long_caption": 1}


def test_a_field_over_the_caption_limit_costs_only_its_row():
    long_row = '"x.png",' + "a" * (MAX_CAPTION_LENGTH + 10) + "\n"
    pairs, counts = _skip("image,caption\n" + long_row + GOOD)
    assert len(pairs) == 50 and counts == {"long_caption": 1}


def test_an_unclosed_quote_is_an_error_and_the_next_rows_are_kept():
    text = 'image,caption\nx.png,"unclosed caption\n' + GOOD
    with pytest.raises(DataError, match=r"line 2: CSV error: unclosed quote"):
        parse_manifest(text, check_files=False)
    pairs, counts = _skip(text)
    assert [p.text for p in pairs] == [f"caption {i}" for i in range(50)]
    assert counts == {"malformed_row": 1}


def test_a_quote_closed_rows_later_is_an_error_too():
    text = ('image,caption\nx.png,"unclosed\n' + GOOD
            + 'y.png,"a quoted, caption"\n')
    pairs, counts = _skip(text)
    assert len(pairs) == 51 and counts == {"malformed_row": 1}


def test_multi_line_quoted_captions_still_read():
    pairs, counts = _skip('image,caption\na.png,"two\nlines"\n' + GOOD)
    assert pairs[0].text == "two\nlines" and pairs[0].source.endswith(
        "line 2")
    assert pairs[1].source.endswith("line 4") and counts == {}


def test_deeply_nested_jsonl_is_a_data_error(tmp_path):
    rows = [json.dumps({"image": f"{i}.png", "caption": f"c {i}"})
            for i in range(5)]
    rows.insert(2, "[" * 100_000)
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"m\.jsonl, line 3: invalid JSON"):
        read_manifest(path, check_files=False)
    report = ErrorReport(verbose=False)
    pairs = read_manifest(path, check_files=False, on_error="skip",
                          report=report)
    assert len(pairs) == 5 and report.read_counts == {"malformed_row": 1}


def test_a_jsonl_caption_with_a_line_separator_is_one_row():
    text = json.dumps({"image": "a.png", "caption": "one\u2028two"},
                      ensure_ascii=False) + "\n"
    pairs, counts = _skip(text, fmt="jsonl")
    assert pairs[0].text == "one\u2028two" and counts == {}


# Rows that are bad in every way a reader meets, each on its own line.
BAD_CSV_ROWS = st.sampled_from([
    'x.png,"unclosed', "x.png", "x.png,a,b", ",no media", "x.png,",
    'x.png,"a"b', "../x.png,escape", "/etc/passwd,escape",
    "x\x00.png,nul", '"x.png","a""',
])
BAD_JSONL_ROWS = st.sampled_from([
    "[" * 5000, "{", "[]", "3", '{"image": 1, "caption": "c"}',
    '{"image": "x.png", "caption": ["c"]}', '{"image": "x.png"}',
    '{"image": "../x.png", "caption": "escape"}', '"\\ud800"',
])


def _good_csv(i):
    return f"good/{i}.png,good caption {i}"


def _good_jsonl(i):
    return json.dumps({"image": f"good/{i}.png",
                       "caption": f"good caption {i}"})


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), BAD_CSV_ROWS), max_size=12))
def test_good_csv_rows_between_bad_ones_all_come_back(layout):
    """`layout`: None is a good row, a string a bad one. Each bad row is
    followed by a good one, so a quote that swallows rows would show."""
    lines, good = [], []
    for i, bad in enumerate(layout):
        if bad is not None:
            lines.append(bad)
        lines.append(_good_csv(i))
        good.append(f"good caption {i}")
    pairs, counts = _skip("image,caption\n" + "\n".join(lines) + "\n")
    assert [p.text for p in pairs] == good
    assert sum(counts.values()) == len(layout) - layout.count(None)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), BAD_JSONL_ROWS), max_size=12))
def test_good_jsonl_rows_between_bad_ones_all_come_back(layout):
    lines, good = [], []
    for i, bad in enumerate(layout):
        if bad is not None:
            lines.append(bad)
        lines.append(_good_jsonl(i))
        good.append(f"good caption {i}")
    pairs, counts = _skip("\n".join(lines) + "\n", "jsonl")
    assert [p.text for p in pairs] == good
    assert sum(counts.values()) == len(layout) - layout.count(None)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(max_size=300), st.sampled_from(["csv", "tsv", "jsonl"]))
def test_any_text_raises_only_data_error(text, fmt):
    try:
        parse_manifest(text, fmt=fmt, check_files=False)
    except DataError as e:
        assert e.reason
    _skip(text, fmt)  # Never raises under "skip".


def test_null_captions_and_labels_are_errors_not_the_word_none():
    rows = [{"image": "a.png", "caption": None, "label": "cat"},
            {"image": "b.png", "caption": "a dog", "label": None},
            {"image": "c.png", "caption": "a cow", "label": 3}]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    pairs, counts = _skip(text, "jsonl", label_key="label")
    assert [(p.text, p.meta["label"]) for p in pairs] == [("a cow", "3")]
    assert counts == {"malformed_row": 2}
