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

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair

FORMATS = ("csv", "tsv", "jsonl")


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
            header = next(csv.reader(f, delimiter=separator or
                                     delimiter(fmt)), [])
            return [h.strip() for h in header]
        names = {}
        for line in itertools.islice(f, 20):
            try:
                row = json.loads(line) if line.strip() else {}
            except ValueError:
                continue
            names.update(dict.fromkeys(row if isinstance(row, dict) else ()))
        return list(names)


def _rows(text, fmt, path, separator=None):
    """Yields `(line_number, dict or DataError)`.

    A bad row (wrong column count, invalid JSON) is yielded as its error so
    the caller can skip it; a CSV syntax error ends the file (raised).
    """
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                row = DataError(path, number, f"invalid JSON ({e})",
                                kind="malformed_row")
            if not isinstance(row, (dict, DataError)):
                row = DataError(path, number, "a JSONL row must be an object",
                                kind="malformed_row")
            yield number, row
        return
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=separator or delimiter(fmt))
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield reader.line_num, DataError(
                    path, reader.line_num,
                    f"expected {len(header)} columns, found {len(row)}",
                    kind="malformed_row")
                continue
            yield reader.line_num, dict(zip(header, row))
    except csv.Error as e:
        raise DataError(path, reader.line_num, f"CSV error: {e}",
                        kind="malformed_row") from None


def parse_manifest(text, path="<manifest>", fmt="csv", media_key="image",
                   text_key="caption", base_dir="", modality="image",
                   check_files=True, max_text_length=None, on_error="raise",
                   report=None, separator=None, label_key=None):
    """Parses manifest text into `Pair`s (see `read_manifest`)."""
    check_on_error(on_error)
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}. Received: {fmt!r}")
    if on_error == "skip" and report is None:
        report = ErrorReport()
    pairs = []
    rows = _rows(text, fmt, path, separator)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            break
        except DataError as error:
            # A broken row structure stops the parse: the rest is unknowable.
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
            break
        try:
            if isinstance(row, DataError):
                raise row
            pairs.append(_to_pair(row, number, path, media_key, text_key,
                                  base_dir, modality, check_files,
                                  max_text_length, label_key))
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
    return pairs


def _to_pair(row, number, path, media_key, text_key, base_dir, modality,
             check_files, max_text_length, label_key=None):
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
    media_path = os.path.join(base_dir, media.strip())
    if check_files and not os.path.isfile(media_path):
        raise DataError(path, number, f"missing file {media_path!r}",
                        kind="missing_file")
    meta = {k: v for k, v in row.items() if k not in (media_key, text_key)}
    if label_key:
        meta["label"] = str(row[label_key]).strip()
    return Pair(media_path, text, f"{path}, line {number}", modality, meta)


def read_manifest(path, media_key="image", text_key="caption", fmt=None,
                  modality="image", check_files=True, max_text_length=None,
                  on_error="raise", report=None, separator=None,
                  label_key=None):
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
        max_text_length: int or None. Longer captions are errors.
        on_error: str. `"raise"` (a `DataError` naming file, line and
            reason) or `"skip"` (the row is dropped and counted in
            `report`).
        report: `ErrorReport` or None. Where skipped rows are counted.
        separator: str or None. The CSV delimiter (default: `,`, or a tab
            for `.tsv`).
        label_key: str or None. A class-label column, kept in
            `Pair.meta["label"]` (and the caption when `text_key` is None).

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
        label_key=label_key,
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
