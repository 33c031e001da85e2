"""A `.keras` file is a zip archive: a cut-short one says so.

Keras reports any file it cannot open as a zip as "File not found", which
sends the user looking for a path that is there. A `.keras` file that
exists but has no zip directory at its end was cut short (an interrupted
copy or save) or is not a `.keras` file at all.
"""

import os
import zipfile


def check_keras_archive(filepath):
    """Raises one clear `ValueError` for a `.keras` file that exists but
    is not a whole zip archive; does nothing for anything else (a missing
    file, a folder, `.h5`), which Keras reports itself.

    Example:
    ```python
    check_keras_archive("run/model.keras")  # ValueError if truncated
    ```
    """
    if not isinstance(filepath, (str, os.PathLike)):
        return
    path = os.fspath(filepath)
    if not str(path).endswith(".keras") or not os.path.isfile(path):
        return
    if zipfile.is_zipfile(path):
        return
    size = os.path.getsize(path)
    raise ValueError(f"{path}: not a complete .keras file ({size} bytes, no "
                     "zip directory at its end): it is truncated or "
                     "corrupt; save or copy it again")
