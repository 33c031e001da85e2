"""Checking an `--out` folder before any work starts."""

import os
import tempfile

from keras_mm.cli.errors import UsageError


def check_output_folder(path, command):
    """Raises UsageError (one line) when `path` cannot become a folder this
    process writes: it is a file, an ancestor is a file, or the nearest
    existing ancestor does not take a new entry (tried with a temporary
    folder, removed at once).

    Example:
    ```python
    check_output_folder("runs/cats", "keras-mm train")  # creatable: fine
    ```
    """
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{command}: --out {path} is a file, not a folder")
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"{command}: --out {path}: {existing} is a file, "
                         "not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=existing))
    except OSError as error:
        raise UsageError(f"{command}: --out {path}: cannot write into "
                         f"{existing} ({error.strerror or error})") from None
