"""Which manifest columns hold the media, the caption and the class label.

One set of names everywhere (`data check`, `train`, `eval`, `export`,
`serve`): a column the user names is used as is; otherwise the first of the
common names below that the manifest has (open_clip's `filepath,title`,
`image,caption`, Hugging Face's `file_name,text`, ...).
"""

import collections

from keras_mm.data.errors import DataError

Columns = collections.namedtuple("Columns", "media caption label")

IMAGE_KEYS = ("filepath", "image", "file_name", "image_path", "img", "path",
              "file")
AUDIO_KEYS = ("audio", "filepath", "file_name", "audio_path", "wav", "path",
              "file")
VIDEO_KEYS = ("video", "filepath", "file_name", "video_path", "path", "file")
CAPTION_KEYS = ("title", "caption", "text", "sentence", "transcript",
                "transcription", "description")
LABEL_KEYS = ("label", "class", "class_name", "category")
MEDIA_KEYS = {"image": IMAGE_KEYS, "audio": AUDIO_KEYS, "video": VIDEO_KEYS}
FLAGS = {"image": "--image-key", "audio": "--media-key",
         "video": "--media-key", "caption": "--caption-key",
         "label": "--label-key"}


def _pick(columns, given, defaults, role, source, required):
    if given:
        if given in columns:
            return given
        raise DataError(source, None, f"no {role} column {given!r} "
                        f"(columns found: {', '.join(columns) or 'none'})",
                        kind="malformed_row")
    found = next((name for name in defaults if name in columns), None)
    if found is None and required:
        raise DataError(
            source, None,
            f"no {role} column: expected one of {', '.join(defaults)} or "
            f"{FLAGS[role]} NAME (columns found: "
            f"{', '.join(columns) or 'none'})", kind="malformed_row")
    return found


def resolve_columns(columns, source, media_key=None, caption_key=None,
                    label_key=None, modality="image", need_caption=True,
                    need_label=False):
    """The `Columns(media, caption, label)` of a manifest with `columns`.

    A caption is not needed when a label column exists: the class name is
    then the caption (as for an image folder). Unfound optional roles are
    None.

    Raises:
        DataError: one line naming the manifest, the missing role, the names
            tried and the columns found.

    Example:
    ```python
    keras_mm.data.resolve_columns(["filepath", "title"], "train.csv")
    # Columns(media='filepath', caption='title', label=None)
    ```
    """
    if modality not in MEDIA_KEYS:
        raise ValueError(f"modality must be one of {sorted(MEDIA_KEYS)}. "
                         f"Received: {modality!r}")
    columns = [str(c) for c in columns]
    media = _pick(columns, media_key, MEDIA_KEYS[modality], modality, source,
                  required=True)
    rest = [c for c in columns if c != media]
    label = _pick(rest, label_key, LABEL_KEYS, "label", source,
                  required=need_label)
    caption = _pick([c for c in rest if c != label], caption_key,
                    CAPTION_KEYS, "caption", source,
                    required=need_caption and label is None)
    return Columns(media, caption, label)
