"""The folder a manifest's media paths may not leave.

A manifest (or COCO file) names files relative to its own folder by
default; `..`, an absolute path elsewhere or a symlink out of that folder
would let a data file read anything the process can (`/etc/passwd`, keys),
so each is a `DataError` unless the user allows it.
"""

import os

from keras_mm.data.errors import DataError


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_media(media, base_dir, source, line, data_root=None,
                  allow_outside_root=False, where=""):
    """`media` joined to `base_dir`, checked to stay inside the data root.

    Args:
        media: str. The path as the data file wrote it.
        base_dir: str. The folder relative paths start from.
        source, line: the data file and row, for the error.
        data_root: str or None. The folder paths must stay in (default:
            `base_dir`).
        allow_outside_root: bool. Skip the check (trusted data).
        where: str. A prefix naming the record, e.g. `"annotation 3: "`.

    Raises:
        DataError: kind `"outside_root"`, naming the path and the root.

    Example:
    ```python
    resolve_media("cats/1.jpg", "/data", "train.csv", 2)  # '/data/cats/1.jpg'
    resolve_media("../etc/passwd", "/data", "train.csv", 3)  # DataError
    ```
    """
    path = os.path.join(base_dir, media)
    if allow_outside_root:
        return path
    root = data_root if data_root is not None else (base_dir or os.curdir)
    try:
        real_root = os.path.realpath(root)
        # realpath follows `..` and every symlink, so one test covers all.
        real = os.path.realpath(path)
    except (ValueError, OSError) as e:
        raise DataError(source, line, f"{where}invalid path {media!r} ({e})",
                        kind="outside_root") from None
    if _inside(real, real_root):
        return path
    if os.path.isabs(media):
        how = "an absolute path outside"
    elif _inside(os.path.normpath(os.path.abspath(path)),
                 os.path.normpath(os.path.abspath(root))):
        how = "a symlink out of"
    else:
        how = "a path leaving"
    raise DataError(source, line, f"{where}{media!r} is {how} the data root "
                    f"{os.path.abspath(root)!r} (to trust it: allow_outside_root=True,"
                    " or the flag --allow-outside-root)",
                    kind="outside_root")
