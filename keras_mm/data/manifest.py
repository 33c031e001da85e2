"""CSV / TSV / JSONL manifests of media–text pairs.

Column names are configurable (as open_clip's `--csv-img-key` and
`--csv-caption-key`); relative media paths resolve against the manifest's
folder.
"""

import csv
import io
import itertools
import json
import os

from keras_mm.data.data_root import resolve_media
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair

FORMATS = ("csv", "tsv", "jsonl")
# The longest caption a manifest may hold, in characters (and so the
# longest CSV field).
MAX_CAPTION_LENGTH = 1 << 20


def manifest_format(path):
    ext = os.path.splitext(str(path))[1].lower().lstrip(".")
    if ext in ("json", "jsonl", "ndjson"):
        return "jsonl"
    if ext in ("tsv", "tab"):
        return "tsv"
    return "csv"


def delimiter(fmt):
    return "\t" if fmt == "tsv" else ","


def manifest_columns(path, separator=None):
    """The column names of a CSV/TSV header or of the first JSONL rows."""
    fmt = manifest_format(path)
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        if fmt != "jsonl":
            _raise_field_limit(MAX_CAPTION_LENGTH + 1)
            try:
                header = next(csv.reader(f, delimiter=separator or
                                         delimiter(fmt)), [])
            except csv.Error as e:
                raise DataError(path, 1, f"CSV error in the header: {e}",
                                kind="malformed_row") from None
            return [h.strip() for h in header]
        names = {}
        for line in itertools.islice(f, 20):
            try:
                row = json.loads(line) if line.strip() else {}
            except (ValueError, RecursionError):
                continue
            names.update(dict.fromkeys(row if isinstance(row, dict) else ()))
        return list(names)


def _json_row(line, number, path):
    try:
        row = json.loads(line)
    except (ValueError, RecursionError) as e:
        # RecursionError: deeply nested brackets.
        reason = str(e) if isinstance(e, ValueError) else "nested too deep"
        return DataError(path, number, f"invalid JSON ({reason})",
                         kind="malformed_row")
    if not isinstance(row, dict):
        return DataError(path, number, "a JSONL row must be an object",
                         kind="malformed_row")
    return row


def _jsonl_rows(text, path):
    # Only "\n" ends a JSONL row: str.splitlines would also split inside
    # JSON strings holding U+2028 and the like.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, _json_row(line, number, path)


def _raise_field_limit(limit):
    """Lets csv read fields up to `limit` characters (csv's default is
    131072). The limit is process-wide, so it is only ever raised."""
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _csv_records(lines, delimiter_char, path):
    """Yields `(line_number, cells or DataError)` for CSV `lines`.

    Strict quoting makes an unclosed quote an error (at the end of the file
    or at the next stray quote) instead of a field that swallows the rest
    of the file; after any CSV error the parse starts again on the line
    after the bad record's first, so the rows that follow are kept.
    """
    start = 0
    while start < len(lines):
        feed = iter(lines[start:])
        position = [start]

        def counted(feed=feed, position=position):
            for line in feed:
                position[0] += 1
                yield line

        reader = csv.reader(counted(), delimiter=delimiter_char,
                            strict=True)
        while True:
            first = position[0]
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                reason, kind = f"CSV error: {e}", "malformed_row"
                if position[0] >= len(lines) and "end of data" in str(e):
                    reason = "CSV error: unclosed quote"
                elif "field limit" in str(e):
                    reason, kind = (f"a field longer than "
                                    f"{csv.field_size_limit() - 1} "
                                    "characters", "long_caption")
                yield first + 1, DataError(path, first + 1, reason,
                                           kind=kind)
                start = first + 1
                break
            yield first + 1, cells


def _rows(text, fmt, path, separator=None):
    """Yields `(line_number, dict or DataError)`: a bad row is yielded as
    its error so the caller can raise or skip it and go on."""
    if fmt == "jsonl":
        yield from _jsonl_rows(text, path)
        return
    lines = io.StringIO(text, newline="").readlines()
    records = _csv_records(lines, separator or delimiter(fmt), path)
    header = None
    for number, cells in records:
        if isinstance(cells, DataError):
            if header is None:
                raise cells  # Without a header no row can be read.
            yield number, cells
            continue
        if header is None:
            if any(cell.strip() for cell in cells):
                header = [h.strip() for h in cells]
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, DataError(
                path, number,
                f"expected {len(header)} columns, found {len(cells)}",
                kind="malformed_row")
            continue
        yield number, dict(zip(header, cells))


def parse_manifest(text, path="<manifest>", fmt="csv", media_key="image",
                   text_key="caption", base_dir="", modality="image",
                   check_files=True, max_text_length=None, on_error="raise",
                   report=None, separator=None, label_key=None,
                   data_root=None, allow_outside_root=False):
    """Parses manifest text into `Pair`s (see `read_manifest`)."""
    check_on_error(on_error)
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}. Received: {fmt!r}")
    if on_error == "skip" and report is None:
        report = ErrorReport()
    limit = max_text_length or MAX_CAPTION_LENGTH
    # A caption the limit allows must not trip csv's own field limit.
    _raise_field_limit(max(limit, MAX_CAPTION_LENGTH) + 1)
    pairs = []
    rows = _rows(text, fmt, path, separator)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            break
        except DataError as error:
            # A broken header stops the parse: no row can be read.
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
            break
        try:
            if isinstance(row, DataError):
                raise row
            pairs.append(_to_pair(row, number, path, media_key, text_key,
                                  base_dir, modality, check_files, limit,
                                  label_key, data_root, allow_outside_root))
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
    return pairs


def _to_pair(row, number, path, media_key, text_key, base_dir, modality,
             check_files, max_text_length, label_key=None, data_root=None,
             allow_outside_root=False):
    # Without a caption column the class label is the caption.
    text_key = text_key or label_key
    for key in (media_key, text_key, label_key):
        if key is not None and key not in row:
            raise DataError(path, number, f"no column {key!r} (columns: "
                            f"{sorted(map(str, row))})", kind="malformed_row")
    media, text = row[media_key], row[text_key]
    if not isinstance(media, str) or not media.strip():
        raise DataError(path, number, f"empty {media_key!r}",
                        kind="missing_file")
    if not isinstance(text, str):
        raise DataError(path, number, f"{text_key!r} is not text",
                        kind="malformed_row")
    text = text.strip()
    if not text:
        raise DataError(path, number, "empty caption", kind="empty_caption")
    if max_text_length and len(text) > max_text_length:
        raise DataError(path, number, f"caption longer than "
                        f"{max_text_length} characters", kind="long_caption")
    media_path = resolve_media(media.strip(), base_dir, path, number,
                               data_root, allow_outside_root)
    if check_files and not os.path.isfile(media_path):
        raise DataError(path, number, f"missing file {media_path!r}",
                        kind="missing_file")
    meta = {k: v for k, v in row.items() if k not in (media_key, text_key)}
    if label_key:
        label = row[label_key]
        if label is None or isinstance(label, (dict, list)):
            raise DataError(path, number, f"{label_key!r} is not a label",
                            kind="malformed_row")
        meta["label"] = str(label).strip()
    return Pair(media_path, text, f"{path}, line {number}", modality, meta)


def read_manifest(path, media_key="image", text_key="caption", fmt=None,
                  modality="image", check_files=True, max_text_length=None,
                  on_error="raise", report=None, separator=None,
                  label_key=None, data_root=None, allow_outside_root=False):
    """Reads a CSV, TSV or JSONL manifest into a list of `Pair`.

    Args:
        path: str. The manifest; its extension picks the format unless
            `fmt` is given (`.csv`, `.tsv`, `.jsonl`/`.json`).
        media_key: str. Column holding the media path (relative paths are
            relative to the manifest's folder).
        text_key: str. Column holding the caption.
        fmt: str or None. `"csv"`, `"tsv"` or `"jsonl"`.
        modality: str. `"image"`, `"audio"` or `"video"`.
        check_files: bool. Check that every media file exists.
        max_text_length: int or None. Longer captions are errors (default
            `MAX_CAPTION_LENGTH` characters).
        on_error: str. `"raise"` (a `DataError` naming file, line and
            reason) or `"skip"` (the row is dropped and counted in
            `report`; the rows after it are still read).
        report: `ErrorReport` or None. Where skipped rows are counted.
        separator: str or None. The CSV delimiter (default: `,`, or a tab
            for `.tsv`).
        label_key: str or None. A class-label column, kept in
            `Pair.meta["label"]` (and the caption when `text_key` is None).
        data_root: str or None. The folder media paths must stay in
            (default: the manifest's folder): `..`, absolute paths and
            symlinks out of it are errors (kind `"outside_root"`).
        allow_outside_root: bool. Trust the manifest's paths wherever
            they point.

    Example:
    ```python
    pairs = keras_mm.data.read_manifest("train.tsv", media_key="filepath",
                                        text_key="title")
    ```
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such manifest: {path!r}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(path, raw[:e.start].count(b"\n") + 1,
                        "not UTF-8 text", kind="malformed_row") from None
    return parse_manifest(
        text, path=path, fmt=fmt or manifest_format(path),
        media_key=media_key, text_key=text_key,
        base_dir=os.path.dirname(os.path.abspath(path)), modality=modality,
        check_files=check_files, max_text_length=max_text_length,
        on_error=on_error, report=report, separator=separator,
        label_key=label_key, data_root=data_root,
        allow_outside_root=allow_outside_root,
    )


def write_manifest(pairs, path, media_key="image", text_key="caption"):
    """Writes `Pair`s (paths made relative to the manifest) as CSV/TSV/JSONL."""
    fmt = manifest_format(path)
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    for p in pairs:
        media = p.media
        if isinstance(media, str) and os.path.isabs(media):
            media = os.path.relpath(media, base)
        rows.append({media_key: media, text_key: p.text})
    with open(path, "w", encoding="utf-8", newline="") as f:
        if fmt == "jsonl":
            for row in rows:
                f.write(json.dumps(row) + "\n")
        else:
            writer = csv.DictWriter(
                f, [media_key, text_key],
                delimiter="\t" if fmt == "tsv" else ",")
            writer.writeheader()
            writer.writerows(rows)
