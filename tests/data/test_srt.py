import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.errors import DataError
from keras_mm.data.srt import Subtitle
from keras_mm.data.srt import format_timestamp
from keras_mm.data.srt import parse_srt
from keras_mm.data.srt import read_srt
from keras_mm.data.srt import write_srt


def test_parses_bom_crlf_multiline_and_dot_milliseconds():
    text = ("\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\nworld\r\n"
            "\r\n\r\n2\r\n01:02:03.040 --> 01:02:04,000 X1:1\r\nbye\r\n")
    subs = parse_srt(text.encode("utf-8"))
    assert subs == [Subtitle(1, 1.0, 2.5, "Hello\nworld"),
                    Subtitle(2, 3723.04, 3724.0, "bye")]


def test_loose_timestamps_are_read_as_the_srt_library_reads_them():
    # No milliseconds, minutes past 59, and fewer than 3 digits after the
    # separator (milliseconds, as FFmpeg reads them too).
    subs = parse_srt("1\n00:00:01 --> 00:61:00.5\nhi\n")
    assert (subs[0].start, subs[0].end) == (1.0, 3660.005)


def test_indents_and_stray_blank_lines_in_text_are_dropped():
    subs = parse_srt("1\n  00:00:01,000 --> 00:00:02,000\n  a \n\n b\n\n"
                     "2\n00:00:03,000 --> 00:00:04,000\nc\n")
    assert [s.text for s in subs] == ["a\nb", "c"]


def test_empty_file_has_no_cues():
    assert parse_srt("") == [] and parse_srt("\n\r\n") == []


@pytest.mark.parametrize("text, line, reason", [
    ("x\n00:00:01,000 --> 00:00:02,000\nhi\n", 1, "cue number"),
    ("1\n00:00:01,000 -> 00:00:02,000\nhi\n", 2, "HH:MM:SS,mmm"),
    ("1\n", 1, "without a timing line"),
])
def test_malformed_srt_names_file_and_line(text, line, reason):
    with pytest.raises(DataError, match=reason) as info:
        parse_srt(text, path="clip.srt")
    assert info.value.path == "clip.srt" and info.value.line == line
    assert str(info.value).startswith(f"clip.srt, line {line}:")


def test_cue_ending_before_it_starts_names_the_cue():
    with pytest.raises(DataError, match="cue 7 ends .* before it starts"
                       ) as info:
        parse_srt("7\n00:00:03,000 --> 00:00:02,000\nhi\n", path="c.srt")
    assert info.value.path == "c.srt"


def test_a_timing_line_swallowed_into_text_is_a_data_error():
    # `srt` reads a cue whose number is garbled as text of the cue before.
    with pytest.raises(DataError, match="cue 1: its text holds a timing"):
        parse_srt("1\n00:00:01,000 --> 00:00:02,000\nhi\n\nx\n"
                  "00:00:03,000 --> 00:00:04,000\nbye\n")


def test_non_utf8_is_a_data_error():
    with pytest.raises(DataError, match="not UTF-8"):
        parse_srt(b"1\n\xff\xfe\xfa")


def test_write_then_read_round_trips(tmp_path):
    cues = [(0.0, 1.25, "a red circle"), (1.25, 3.0, "two\nlines")]
    write_srt(cues, tmp_path / "a.srt")
    subs = read_srt(tmp_path / "a.srt")
    assert [(s.start, s.end, s.text) for s in subs] == cues
    assert format_timestamp(3723.5) == "01:02:03,500"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_random_bytes_parse_or_raise_data_error(data):
    try:
        subs = parse_srt(data)
    except DataError:
        return
    assert all(s.end >= s.start for s in subs)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("0123456789:,.-> \n\r\ufeffab"),
               max_size=200))
def test_random_srt_like_text_parse_or_raise_data_error(text):
    try:
        parse_srt(text)
    except DataError as e:
        assert e.line is None or e.line >= 1


cue_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc",
                                                                "Zl", "Zp")),
                   min_size=1, max_size=20).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**5),
                          cue_text), max_size=8))
def test_written_cues_parse_back_exactly(tmp_path_factory, cues):
    cues = [(s / 1000, (s + d) / 1000, t) for s, d, t in cues]
    path = tmp_path_factory.mktemp("srt") / "p.srt"
    write_srt(cues, path)
    assert [(s.start, s.end, s.text) for s in read_srt(path)] == cues


@pytest.mark.parametrize("text", [
    "1" * 5000 + "\n00:00:01,000 --> 00:00:02,000\nhi\n",
    "1\n" + "9" * 5000 + ":00:01,000 --> 00:00:02,000\nhi\n",
    "1\n" + "9" * 20 + ":00:01,000 --> 00:00:02,000\nhi\n",
])
def test_huge_numbers_are_data_errors(text):
    with pytest.raises(DataError, match="cue 1: .* out of range"):
        parse_srt(text, path="s.srt")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 10**30), st.integers(0, 10**12),
                          st.integers(0, 10**12)), max_size=4))
def test_random_numbers_in_cues_raise_only_data_error(cues):
    text = "\n".join(f"{n}\n{a // 3600000}:00:00,{a % 1000:03d} --> "
                     f"{b // 3600000}:00:00,000\ntext\n" for n, a, b in cues)
    try:
        parse_srt(text)
    except DataError as e:
        assert (e.line or 0) >= 1 or e.reason.startswith("cue ")
