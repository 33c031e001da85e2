"""COCO-captions JSON: an annotations file plus an image folder."""

import json
import os

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair


def read_coco(annotations, image_dir=None, check_files=True,
              on_error="raise", report=None):
    """Reads `captions_*.json` into `Pair`s: one per caption.

    Every caption of an image is kept (COCO has about five); `meta` holds
    `image_id`. `image_dir` defaults to the annotation file's folder.

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
    try:
        with open(annotations, encoding="utf-8") as f:
            data = json.load(f)
        images = {img["id"]: img["file_name"] for img in data["images"]}
        annotations_list = data["annotations"]
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(annotations, None, f"not a COCO captions file "
                        f"({type(e).__name__}: {e})",
                        kind="malformed_row") from None
    pairs = []
    for number, ann in enumerate(annotations_list):
        where = f"annotation {number}"
        try:
            if ann.get("image_id") not in images:
                raise DataError(annotations, None, f"{where}: unknown "
                                f"image_id {ann.get('image_id')!r}",
                                kind="malformed_row")
            caption = str(ann.get("caption", "")).strip()
            if not caption:
                raise DataError(annotations, None, f"{where}: empty caption",
                                kind="empty_caption")
            path = os.path.join(image_dir, images[ann["image_id"]])
            if check_files and not os.path.isfile(path):
                raise DataError(annotations, None, f"{where}: missing file "
                                f"{path!r}", kind="missing_file")
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
            continue
        pairs.append(Pair(path, caption, f"{annotations}, {where}", "image",
                          {"image_id": ann["image_id"]}))
    return pairs


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
