"""One reader for the user's data, whatever its layout.

A path is one of:
- a CSV / TSV / JSONL manifest (columns found by `keras_mm.data.columns`);
- a COCO captions file (`{"images": [...], "annotations": [...]}`);
- an image folder with one sub-folder per class (torchvision's
  `ImageFolder`): the class name is the caption and the label;
- WebDataset shards: `shards/{000..099}.tar`, a glob, or a folder of `.tar`
  files, streamed so they may be larger than memory;
- with `modality="video"`: a video, a folder of videos or a manifest of
  videos with `.srt` subtitles, cut into clip–subtitle pairs
  (`keras_mm.data.video_subtitle_pairs`).

`check_source` answers from the header or first rows only, without
TensorFlow or Keras, so the CLI refuses bad input at once.
"""

import glob
import os
import re

from keras_mm.data.columns import resolve_columns
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import manifest_columns
from keras_mm.data.pair import Pair

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
MANIFEST_EXTENSIONS = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json")
_RANGE = re.compile(r"\{(\d+)\.\.(\d+)\}")
_CHOICE = re.compile(r"\{([^{}]*,[^{}]*)\}")


def expand_braces(spec):
    """`a{000..002}.tar` → the three names; `{x,y}` lists too.

    Example:
    ```python
    keras_mm.data.sources.expand_braces("s-{0..2}.tar")
    # ['s-0.tar', 's-1.tar', 's-2.tar']
    ```
    """
    match = _RANGE.search(spec)
    if match:
        first, last = match.group(1), match.group(2)
        width = len(first) if first.startswith("0") else 0
        names = [str(i).zfill(width) for i in range(int(first),
                                                      int(last) + 1)]
    else:
        match = _CHOICE.search(spec)
        if not match:
            return [spec]
        names = match.group(1).split(",")
    head, tail = spec[:match.start()], spec[match.end():]
    return [name for choice in names
            for name in expand_braces(head + choice + tail)]


def shard_paths(spec):
    """The `.tar` files a shard spec names, in order; [] when none."""
    if os.path.isdir(spec):
        return sorted(glob.glob(os.path.join(spec, "*.tar")))
    paths = []
    for name in expand_braces(spec):
        paths.extend(sorted(glob.glob(name)) if glob.has_magic(name)
                     else [name])
    return paths


def _class_folders(path):
    return sorted(d.name for d in os.scandir(path) if d.is_dir()
                  and not d.name.startswith("."))


def _is_coco(path):
    if os.path.splitext(path)[1].lower() != ".json":
        return False
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    return head.startswith(b"{") and b'"annotations"' in _whole(path, head)


def _whole(path, head):
    # A COCO file is one object; a JSONL file is one object per line.
    if b"\n{" in head:
        return b""
    with open(path, "rb") as f:
        return f.read()


def source_kind(path):
    """`"manifest"`, `"coco"`, `"image_folder"` or `"webdataset"`.

    Raises:
        FileNotFoundError: nothing at `path` (shards: no file matched).
    """
    path = str(path)
    if ".tar" in path or (os.path.isdir(path) and glob.glob(
            os.path.join(path, "*.tar"))):
        paths = shard_paths(path)
        missing = [p for p in paths if not os.path.isfile(p)]
        if not paths or missing:
            raise FileNotFoundError(
                f"No shard at {missing[0] if missing else path!r} (from the "
                f"shard spec {path!r})")
        return "webdataset"
    if os.path.isdir(path):
        if not _class_folders(path):
            raise DataError(path, None, "an image folder needs one "
                            "sub-folder per class (ImageFolder layout)")
        return "image_folder"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No data at {path!r}")
    if _is_coco(path):
        return "coco"
    return "manifest"


def check_source(path, media_key=None, caption_key=None, label_key=None,
                 separator=None, modality="image", need_caption=True,
                 need_label=False, allow_outside_root=False):
    """What `read_pairs` would read from `path`, checked cheaply.

    Returns:
        `{"kind": ..., "columns": Columns or None, "classes": [...] or
        None}`.

    `allow_outside_root` is accepted so that `read_pairs`' options pass
    as they are; paths are checked row by row when read.

    Raises:
        FileNotFoundError or DataError: one line naming the problem, e.g. a
        manifest without a usable column (naming the columns found).

    Example:
    ```python
    keras_mm.data.sources.check_source("train.csv")["columns"].media
    ```
    """
    if modality == "video" and _is_video_subtitles(path, caption_key,
                                                   separator):
        return {"kind": "video_subtitles", "columns": None, "classes": None}
    kind = source_kind(path)
    info = {"kind": kind, "columns": None, "classes": None}
    if kind == "manifest":
        info["columns"] = resolve_columns(
            manifest_columns(path, separator), path, media_key, caption_key,
            label_key, modality, need_caption, need_label)
    elif kind == "image_folder":
        info["classes"] = _class_folders(path)
    elif need_label and kind != "image_folder":
        raise DataError(path, None, f"a {kind} source has no class labels; "
                        "give an image folder or a manifest with a label "
                        "column (--label-key)")
    return info


def _is_video_subtitles(path, caption_key, separator):
    from keras_mm.data.video_subtitle_pairs import is_video_subtitle_source

    if not os.path.exists(path):
        raise FileNotFoundError(f"No data at {path!r}")
    return is_video_subtitle_source(path, caption_key=caption_key,
                                    separator=separator)


def _image_folder_pairs(path, report, on_error):
    pairs = []
    for name in _class_folders(path):
        folder = os.path.join(path, name)
        files = sorted(f for f in os.listdir(folder)
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            error = DataError(folder, None, "a class folder with no images "
                              f"({', '.join(IMAGE_EXTENSIONS)})",
                              kind="missing_file")
            if on_error == "raise":
                raise error
            report.add(error, at_read=True)
        for file in files:
            pairs.append(Pair(os.path.join(folder, file),
                              name.replace("_", " "),
                              os.path.join(folder, file), "image",
                              {"label": name}))
    return pairs


def read_pairs(path, media_key=None, caption_key=None, label_key=None,
               separator=None, modality="image", on_error="skip",
               report=None, check_files=True, allow_outside_root=False):
    """Every `Pair` of the user's data at `path` (see the module doc).

    Args:
        path: a manifest, COCO file, image folder or shard spec.
        media_key, caption_key, label_key: column names; None finds the
            common ones (`keras_mm.data.columns`).
        separator: CSV delimiter.
        modality: `"image"`, `"audio"` or `"video"`.
        on_error: `"skip"` (bad rows dropped and counted in `report`) or
            `"raise"`.
        report: `keras_mm.data.ErrorReport` or None.
        allow_outside_root: bool. Trust manifest and COCO paths that leave
            the data file's folder (`..`, absolute paths, symlinks), which
            are otherwise errors (kind `"outside_root"`).

    Returns:
        list of `Pair`; a class label, when known, is in
        `pair.meta["label"]`.

    Example:
    ```python
    pairs = keras_mm.data.read_pairs("train.csv")  # filepath,title
    pairs = keras_mm.data.read_pairs("photos/")    # photos/<class>/*.jpg
    ```
    """
    if report is None:
        report = ErrorReport()
    info = check_source(path, media_key, caption_key, label_key, separator,
                        modality)
    kind = info["kind"]
    if kind == "video_subtitles":
        from keras_mm.data.video_subtitle_pairs import (
            read_video_subtitle_pairs)

        pairs = read_video_subtitle_pairs(
            path, media_key, separator=separator, on_error=on_error,
            report=report, allow_outside_root=allow_outside_root)
    elif kind == "webdataset":
        pairs = list(stream_pairs(path, on_error=on_error, report=report)())
    elif kind == "image_folder":
        pairs = _image_folder_pairs(path, report, on_error)
    elif kind == "coco":
        from keras_mm.data.coco import read_coco

        pairs = read_coco(path, check_files=check_files, on_error=on_error,
                          report=report,
                          allow_outside_root=allow_outside_root)
    else:
        from keras_mm.data.manifest import read_manifest

        columns = info["columns"]
        pairs = read_manifest(
            path, columns.media, columns.caption, modality=modality,
            check_files=check_files, on_error=on_error, report=report,
            separator=separator, label_key=columns.label,
            allow_outside_root=allow_outside_root)
    if not pairs:
        skipped = sum(report.read_counts.values())
        first = f"; first: {report.examples[0][1]}" if report.examples else ""
        raise DataError(path, None, f"no usable {modality}–text pairs "
                        f"({skipped} rows skipped{first})",
                        kind="malformed_row")
    return pairs


def stream_pairs(path, media_key=None, caption_key=None, label_key=None,
                 separator=None, modality="image", on_error="skip",
                 report=None, check_files=True, allow_outside_root=False):
    """A callable returning a fresh iterator of `Pair` on every call.

    WebDataset shards are streamed (never loaded whole); other sources are
    read once and iterated.

    Example:
    ```python
    pairs = keras_mm.data.stream_pairs("shards/{000..009}.tar")
    dataset = keras_mm.data.model_dataset(pairs, model, batch_size=64)
    ```
    """
    if report is None:
        report = ErrorReport()
    if check_source(path, media_key, caption_key, label_key, separator,
                    modality)["kind"] == "webdataset":
        from keras_mm.data.webdataset import iter_webdataset

        paths = shard_paths(path)
        text_key = caption_key or "caption"
        return lambda: iter_webdataset(paths, text_key=text_key,
                                       on_error=on_error, report=report)
    pairs = read_pairs(path, media_key, caption_key, label_key, separator,
                       modality, on_error, report, check_files,
                       allow_outside_root)
    return lambda: iter(pairs)
