"""WebDataset-style tar shards: `key.png|jpg` + `key.txt|json` members.

Reading streams the tar (`mode="r|*"`), so a shard is never loaded whole and
can come from a pipe.
"""

import io
import json
import os
import tarfile
import zlib

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair

MEDIA_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "wav", "npy")
TEXT_EXTENSIONS = ("txt", "json")


def _split_name(name):
    base = os.path.basename(name)
    key, _, ext = base.partition(".")
    return os.path.join(os.path.dirname(name), key), ext.lower()


def _to_pair(shard, key, members, text_key):
    media_ext = next((e for e in MEDIA_EXTENSIONS if e in members), None)
    if media_ext is None:
        raise DataError(shard, None, f"sample {key!r} has no media member",
                        kind="missing_file")
    if "txt" in members:
        text = members["txt"].decode("utf-8", "replace")
    elif "json" in members:
        try:
            text = json.loads(members["json"]).get(text_key, "")
        except (ValueError, AttributeError, RecursionError):
            raise DataError(shard, None, f"sample {key!r}: bad JSON",
                            kind="malformed_row") from None
    else:
        raise DataError(shard, None, f"sample {key!r} has no text member",
                        kind="empty_caption")
    if text is None:
        text = ""
    if not isinstance(text, str):  # str() would make a caption of "None".
        raise DataError(shard, None, f"sample {key!r}: {text_key!r} is not "
                        "text", kind="malformed_row")
    text = text.strip()
    if not text:
        raise DataError(shard, None, f"sample {key!r}: empty caption",
                        kind="empty_caption")
    modality = {"wav": "audio", "npy": "video"}.get(media_ext, "image")
    return Pair(members[media_ext], text, f"{shard}:{key}", modality,
                {"key": key, "extension": media_ext})


def iter_webdataset(shards, text_key="caption", on_error="raise",
                    report=None):
    """Streams `Pair`s (media as encoded bytes) from tar shards.

    Args:
        shards: a path or a list of paths to `.tar` files.
        text_key: str. Field of a `key.json` member holding the caption.
        on_error: `"raise"` or `"skip"` (see `read_manifest`).

    Example:
    ```python
    for pair in keras_mm.data.iter_webdataset(["shard-000000.tar"]):
        pair.media  # PNG bytes
    ```
    """
    check_on_error(on_error)
    if on_error == "skip" and report is None:
        report = ErrorReport()
    if isinstance(shards, (str, os.PathLike)):
        shards = [shards]
    for shard in shards:
        shard = str(shard)
        if not os.path.isfile(shard):
            raise FileNotFoundError(f"No such shard: {shard!r}")
        key, members = None, {}
        try:
            with tarfile.open(shard, mode="r|*") as tar:
                for info in tar:
                    if not info.isfile():
                        continue
                    member_key, ext = _split_name(info.name)
                    if member_key != key and members:
                        yield from _emit(shard, key, members, text_key,
                                         on_error, report)
                        members = {}
                    key = member_key
                    members[ext] = tar.extractfile(info).read()
        except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
            # A corrupt compressed shard raises EOFError or zlib.error.
            error = DataError(shard, None, f"bad tar ({e})",
                              kind="undecodable")
            if on_error == "raise":
                raise error from None
            report.add(error, at_read=True)
        if members:
            yield from _emit(shard, key, members, text_key, on_error, report)


def _emit(shard, key, members, text_key, on_error, report):
    try:
        yield _to_pair(shard, key, members, text_key)
    except DataError as error:
        if on_error == "raise":
            raise
        report.add(error, at_read=True)


def write_webdataset(pairs, out_dir, shard_size=1000, prefix="shard"):
    """Writes `Pair`s into tar shards of `shard_size` samples each.

    Media that are paths are stored as their file bytes under the file's
    extension; the caption goes into `key.txt`. Returns the shard paths.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1. Received: {shard_size}")
    os.makedirs(out_dir, exist_ok=True)
    paths, tar = [], None

    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    try:
        for i, pair in enumerate(pairs):
            if i % shard_size == 0:
                if tar is not None:
                    tar.close()
                paths.append(os.path.join(
                    out_dir, f"{prefix}-{len(paths):06d}.tar"))
                tar = tarfile.open(paths[-1], "w")
            if isinstance(pair.media, str):
                with open(pair.media, "rb") as f:
                    data = f.read()
                ext = os.path.splitext(pair.media)[1].lstrip(".").lower()
            else:
                data = bytes(pair.media)
                ext = pair.meta.get("extension", "png")
            key = f"{i:09d}"
            add(f"{key}.{ext}", data)
            add(f"{key}.txt", pair.text.encode("utf-8"))
    finally:
        if tar is not None:
            tar.close()
    return paths
