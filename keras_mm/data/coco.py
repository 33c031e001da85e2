"""COCO-captions JSON: an annotations file plus an image folder."""

import json
import os

from keras_mm.data.data_root import resolve_media
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair


def _load(annotations):
    try:
        with open(annotations, encoding="utf-8") as f:
            data = json.load(f)
    except (ValueError, RecursionError) as e:
        # RecursionError: deeply nested brackets.
        reason = str(e) if isinstance(e, ValueError) else "nested too deep"
        raise DataError(annotations, None, f"not a COCO captions file "
                        f"(invalid JSON: {reason})",
                        kind="malformed_row") from None
    if not isinstance(data, dict) or not isinstance(
            data.get("images"), list) or not isinstance(
            data.get("annotations"), list):
        raise DataError(annotations, None, "not a COCO captions file (an "
                        "object with 'images' and 'annotations' lists "
                        "expected)", kind="malformed_row")
    return data


def _is_id(value):
    # JSON ids are integers or strings; bool is an int but no id.
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _image_files(data, annotations, fail):
    """`{image id: file_name}`; bad image records go to `fail`."""
    images = {}
    for number, image in enumerate(data["images"]):
        where = f"image {number}: "
        if not isinstance(image, dict):
            fail(DataError(annotations, None, f"{where}an object expected, "
                           f"found {type(image).__name__}",
                           kind="malformed_row"))
        elif not _is_id(image.get("id")):
            fail(DataError(annotations, None, f"{where}'id' must be an "
                           f"integer or a string, found "
                           f"{image.get('id')!r:.60}", kind="malformed_row"))
        elif not isinstance(image.get("file_name"), str) or not image[
                "file_name"].strip():
            fail(DataError(annotations, None, f"{where}'file_name' must be "
                           f"a path, found {image.get('file_name')!r:.60}",
                           kind="malformed_row"))
        else:
            images[image["id"]] = image["file_name"].strip()
    return images


def read_coco(annotations, image_dir=None, check_files=True,
              on_error="raise", report=None, data_root=None,
              allow_outside_root=False):
    """Reads `captions_*.json` into `Pair`s: one per caption.

    Every caption of an image is kept (COCO has about five); `meta` holds
    `image_id`. `image_dir` defaults to the annotation file's folder, and
    image paths may not leave `data_root` (default: `image_dir`) unless
    `allow_outside_root=True`. A bad image or annotation record is a
    `DataError` naming it (`on_error="raise"`) or is counted in `report`
    and skipped (`"skip"`).

    Example:
    ```python
    pairs = keras_mm.data.read_coco("annotations/captions_val.json",
                                    "val2017/")
    ```
    """
    check_on_error(on_error)
    if on_error == "skip" and report is None:
        report = ErrorReport()
    if not os.path.isfile(annotations):
        raise FileNotFoundError(f"No such annotations file: {annotations!r}")
    if image_dir is None:
        image_dir = os.path.dirname(os.path.abspath(annotations))

    def fail(error):
        if on_error == "raise":
            raise error
        report.add(error, at_read=True)

    data = _load(annotations)
    images = _image_files(data, annotations, fail)
    pairs = []
    for number, ann in enumerate(data["annotations"]):
        where = f"annotation {number}"
        try:
            pairs.append(_to_pair(ann, where, images, annotations, image_dir,
                                  check_files, data_root,
                                  allow_outside_root))
        except DataError as error:
            fail(error)
    return pairs


def _to_pair(ann, where, images, annotations, image_dir, check_files,
             data_root, allow_outside_root):
    if not isinstance(ann, dict):
        raise DataError(annotations, None, f"{where}: an object expected, "
                        f"found {type(ann).__name__}", kind="malformed_row")
    image_id = ann.get("image_id")
    if not _is_id(image_id) or image_id not in images:
        raise DataError(annotations, None, f"{where}: unknown image_id "
                        f"{image_id!r:.60}", kind="malformed_row")
    caption = ann.get("caption", "")
    if not isinstance(caption, str):
        raise DataError(annotations, None, f"{where}: 'caption' is not "
                        "text", kind="malformed_row")
    caption = caption.strip()
    if not caption:
        raise DataError(annotations, None, f"{where}: empty caption",
                        kind="empty_caption")
    path = resolve_media(images[image_id], image_dir, annotations, None,
                         data_root, allow_outside_root, where=f"{where}: ")
    if check_files and not os.path.isfile(path):
        raise DataError(annotations, None, f"{where}: missing file "
                        f"{path!r}", kind="missing_file")
    return Pair(path, caption, f"{annotations}, {where}", "image",
                {"image_id": image_id})


def write_coco(pairs, annotations_path):
    """Writes image `Pair`s as a COCO captions file (paths relative to it)."""
    base = os.path.dirname(os.path.abspath(annotations_path))
    ids, images, annotations = {}, [], []
    for pair in pairs:
        name = os.path.relpath(pair.media, base)
        if name not in ids:
            ids[name] = len(ids) + 1
            images.append({"id": ids[name], "file_name": name})
        annotations.append({"id": len(annotations) + 1,
                            "image_id": ids[name], "caption": pair.text})
    with open(annotations_path, "w", encoding="utf-8") as f:
        json.dump({"images": images, "annotations": annotations}, f)
