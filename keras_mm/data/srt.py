"""SubRip (`.srt`) reading and writing, on the `srt` library.

`srt` does the grammar (a UTF-8 BOM, several blank lines between cues,
`,` or `.` before the milliseconds, text after the timing). This module
turns its cues into our `Subtitle` (seconds, stripped text) and every
failure into a `DataError`: syntax errors name the line, bad values the cue.
"""

import dataclasses
import datetime
import re

import srt

from keras_mm.data.errors import DataError

_TIMING_HINT = "'HH:MM:SS,mmm --> HH:MM:SS,mmm'"
# `srt` takes a cue with a garbled number as text of the cue before, timing
# line and all; a text line in its own timing grammar gives that away.
_TIMING_LINE = re.compile(
    rf"{srt.RGX_TIMESTAMP} *-[ -] *> *{srt.RGX_TIMESTAMP}", re.ASCII)


@dataclasses.dataclass(frozen=True)
class Subtitle:
    """One cue: `index`, `start` and `end` in seconds, `text`."""

    index: int
    start: float
    end: float
    text: str


def format_timestamp(seconds):
    """`83.5` -> `"00:01:23,500"`."""
    return srt.timedelta_to_srt_timestamp(_timedelta(seconds))


def _timedelta(seconds):
    return datetime.timedelta(milliseconds=round(seconds * 1000))


def _syntax_error(path, text, error):
    """`srt` reports the characters it could not match; name their line."""
    skipped = text[error.expected_start:error.actual_start]
    start = error.expected_start + len(skipped) - len(skipped.lstrip())
    line = text.count("\n", 0, start) + 1
    first, _, rest = skipped.strip().partition("\n")
    first, second = first.strip(), rest.strip().partition("\n")[0]
    if not first.isdigit():
        reason = (f"expected a cue number or a {_TIMING_HINT} line, found "
                  f"{first[:40]!r}")
    elif not second:
        reason = "cue number without a timing line"
    else:
        line += 1
        reason = f"expected {_TIMING_HINT}, found {second[:60]!r}"
    return DataError(path, line, reason, kind="malformed_srt")


def parse_srt(content, path="<srt>"):
    """Parses SubRip text (str or bytes) into a list of `Subtitle`.

    Lines are stripped and blank text lines dropped; CR-only line ends are
    read as newlines.

    Raises:
        DataError: naming `path`, the line (or cue) and what is wrong.

    Example:
    ```python
    subs = keras_mm.data.parse_srt("1\\n00:00:01,000 --> 00:00:02,500\\nhi\\n")
    subs[0].start, subs[0].end, subs[0].text  # (1.0, 2.5, 'hi')
    ```
    """
    if isinstance(content, (bytes, bytearray)):
        try:
            content = bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DataError(path, None, f"not UTF-8 text ({e.reason} at "
                            f"byte {e.start})", kind="malformed_srt") from None
    # `srt` knows "\n" and "\r\n" only (old Mac files end lines with "\r"),
    # and no indented timing line; text lines are stripped anyway.
    text = content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.strip() for line in text.split("\n"))
    subtitles = []
    cues = srt.parse(text)
    while True:
        try:
            cue = next(cues)
        except StopIteration:
            return subtitles
        except srt.SRTParseError as e:
            raise _syntax_error(path, text, e) from None
        except (ValueError, OverflowError):
            # Numbers too long for `int`, or hours past `timedelta`'s range.
            raise DataError(path, None, f"cue {len(subtitles) + 1}: a cue "
                            "number or time is out of range",
                            kind="malformed_srt") from None
        number = len(subtitles) + 1 if cue.index is None else cue.index
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        if end < start:
            raise DataError(path, None, f"cue {number} ends ({end:.3f}s) "
                            f"before it starts ({start:.3f}s)",
                            kind="malformed_srt")
        lines = cue.content.split("\n")
        if any(_TIMING_LINE.match(line) for line in lines):
            raise DataError(path, None, f"cue {number}: its text holds a "
                            "timing line (is the next cue's number missing "
                            "or malformed?)", kind="malformed_srt")
        subtitles.append(Subtitle(number, start, end,
                                  "\n".join(line for line in lines if line)))


def read_srt(path):
    """Reads and parses an `.srt` file (see `parse_srt`).

    Example:
    ```python
    keras_mm.data.write_srt([(0.0, 1.5, "hello")], "a.srt")
    keras_mm.data.read_srt("a.srt")[0].text  # 'hello'
    ```
    """
    with open(path, "rb") as f:
        return parse_srt(f.read(), path=path)


def write_srt(subtitles, path):
    """Writes `Subtitle`s (or `(start, end, text)` tuples) as SubRip.

    Cues are numbered from 1 in the order given (not sorted by time).

    Example:
    ```python
    keras_mm.data.write_srt([(0.0, 1.5, "hello"), (1.5, 3.0, "bye")],
                            "a.srt")
    ```
    """
    cues = []
    for k, sub in enumerate(subtitles, start=1):
        if not isinstance(sub, Subtitle):
            sub = Subtitle(k, *sub)
        cues.append(srt.Subtitle(k, _timedelta(sub.start),
                                 _timedelta(sub.end), sub.text))
    with open(path, "w", encoding="utf-8") as f:
        f.write(srt.compose(cues, reindex=False))
