"""Writing a folder so that a failure never replaces a good one.

The new folder is written beside the old one and swapped in by one
`renameat2(RENAME_EXCHANGE)` on Linux, so a kill at any moment leaves
either the old folder or the new one in place. Elsewhere two renames do
it, and a folder a kill left half-swapped is put back by the next write.
Temporary folders of killed writers are removed by the next write.
"""

import contextlib
import os
import shutil
import tempfile

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _exchange(first, second):
    """Swaps two paths in one step; False where the platform cannot."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                          ctypes.c_char_p, ctypes.c_uint)
    return renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD,
                     os.fsencode(second), RENAME_EXCHANGE) == 0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(folder):
    """`(kind, path)` of temporary siblings of `folder` whose writer is
    gone (`kind` "tmp" or "old")."""
    parent, name = os.path.split(folder)
    found = []
    for entry in os.listdir(parent):
        for kind in ("tmp", "old"):
            prefix = f".{name}.{kind}-"
            if not entry.startswith(prefix):
                continue
            pid = entry[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                found.append((kind, os.path.join(parent, entry)))
    return found


def recover(folder):
    """Puts back a folder a killed writer left renamed aside, and removes
    the temporary folders of killed writers."""
    folder = os.path.abspath(folder)
    if not os.path.isdir(os.path.dirname(folder)):
        return
    for kind, path in sorted(_leftovers(folder)):
        if kind == "old" and not os.path.exists(folder):
            os.rename(path, folder)
        else:
            shutil.rmtree(path, ignore_errors=True)


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
    parent, name = os.path.split(folder)
    os.makedirs(parent, exist_ok=True)
    recover(folder)
    tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-{os.getpid()}-", dir=parent)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not os.path.exists(folder):
        os.rename(tmp, folder)
        return
    if _exchange(tmp, folder):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
        return
    old = tempfile.mkdtemp(prefix=f".{name}.old-{os.getpid()}-", dir=parent)
    os.rmdir(old)
    os.rename(folder, old)
    os.rename(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
