"""Writing a folder so that a failure never replaces a good one."""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_folder(folder):
    """Yields a temporary folder beside `folder`; on success it replaces
    `folder` (renamed into place), on failure it is removed and `folder`
    is left as it was.

    Example:
    ```python
    with atomic_folder("exported/") as tmp:
        write_files(tmp)
    ```
    """
    folder = os.path.abspath(folder)
    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if os.path.exists(folder):
        old = tempfile.mkdtemp(prefix=".old-", dir=parent)
        os.rmdir(old)
        os.rename(folder, old)
    os.rename(tmp, folder)
    if old:
        shutil.rmtree(old, ignore_errors=True)
