"""A SubRip (`.srt`) parser and writer.

Handles a UTF-8 BOM, CRLF / CR line ends, multi-line text, several blank
lines between cues and `,` or `.` before the milliseconds. Anything else
that is not SubRip raises `DataError` naming the line.
"""

import dataclasses
import re

from keras_mm.data.errors import DataError

# Hours are bounded so that `int` never meets a thousand-digit number.
_TIME = r"(\d{1,9}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$",
                     re.ASCII)


@dataclasses.dataclass(frozen=True)
class Subtitle:
    """One cue: `index`, `start` and `end` in seconds, `text`."""

    index: int
    start: float
    end: float
    text: str


def _seconds(h, m, s, ms):
    total_ms = (int(h) * 3600 + int(m) * 60 + int(s)) * 1000 + int(
        ms.ljust(3, "0"))
    return total_ms / 1000


def format_timestamp(seconds):
    """`83.5` -> `"00:01:23,500"`."""
    total_ms = int(round(seconds * 1000))
    h, rest = divmod(total_ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def parse_srt(content, path="<srt>"):
    """Parses SubRip text (str or bytes) into a list of `Subtitle`.

    Raises:
        DataError: naming `path`, the line and what is wrong.

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
    content = content.lstrip("\ufeff")
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    subtitles = []
    i, n = 0, len(lines)

    def fail(line_no, reason):
        raise DataError(path, line_no, reason, kind="malformed_srt")

    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        index_line = lines[i].strip()
        if not index_line.isdigit() or not index_line.isascii():
            fail(i + 1, f"expected a cue number, found {index_line[:40]!r}")
        if len(index_line) > 18:
            fail(i + 1, f"cue number {index_line[:40]}... is too long")
        if i + 1 >= n or not lines[i + 1].strip():
            fail(i + 1, "cue number without a timing line")
        match = _TIMING.match(lines[i + 1])
        if not match:
            fail(i + 2, "expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', found "
                 f"{lines[i + 1].strip()[:60]!r}")
        g = match.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        if end < start:
            fail(i + 2, f"cue ends ({end:.3f}s) before it starts "
                 f"({start:.3f}s)")
        j = i + 2
        text = []
        while j < n and lines[j].strip():
            text.append(lines[j].strip())
            j += 1
        subtitles.append(Subtitle(int(index_line), start, end,
                                  "\n".join(text)))
        i = j
    return subtitles


def read_srt(path):
    """Reads and parses an `.srt` file (see `parse_srt`)."""
    with open(path, "rb") as f:
        return parse_srt(f.read(), path=path)


def write_srt(subtitles, path):
    """Writes `Subtitle`s (or `(start, end, text)` tuples) as SubRip."""
    blocks = []
    for k, sub in enumerate(subtitles, start=1):
        if not isinstance(sub, Subtitle):
            sub = Subtitle(k, *sub)
        blocks.append(f"{k}\n{format_timestamp(sub.start)} --> "
                      f"{format_timestamp(sub.end)}\n{sub.text}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(blocks))
