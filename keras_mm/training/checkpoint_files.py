"""The files of a checkpoint folder, written so that a kill or a bad disk
never leaves nothing to resume from. No Keras here.

```
CKPT/step-00000040.npz    model and optimizer arrays
CKPT/step-00000040.json   {"step": 40, "sha256": ..., "config": {...}}
CKPT/step-00000050.npz    the newest; the last `keep` (default 2) stay
CKPT/step-00000050.json
```

Each file is written under a temporary name, flushed and renamed; the
`.json` last, so a checkpoint exists only once its arrays are complete.
A checkpoint whose metadata is unreadable or whose arrays do not match
their checksum is skipped with a warning, and the previous one is used.
Folders of earlier versions (`state.json` + `checkpoint.npz`, no
checksum) are still read.
"""

import hashlib
import json
import os
import re
import warnings

PATTERN = re.compile(r"^step-(\d+)\.json$")
KEEP = 2
# The single checkpoint of earlier versions.
LEGACY_STATE = "state.json"
LEGACY_ARRAYS = "checkpoint.npz"


class CheckpointError(ValueError):
    """No checkpoint of a folder can be used; the message names the
    files and why."""


class CheckpointWarning(UserWarning):
    """A checkpoint was skipped for an older one."""


def checkpoint_names(step):
    """`(arrays, metadata)` file names of the checkpoint at `step`."""
    return f"step-{step:08d}.npz", f"step-{step:08d}.json"


def sha256_of(path):
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_folder(folder):
    # Makes the renames durable; not every platform opens folders.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path, write):
    """Calls `write(file)` on `path + ".tmp"`, flushes it, renames it."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_checkpoint(directory, step, write_arrays, metadata=None,
                     keep=KEEP):
    """Writes the checkpoint at `step` and removes all but the newest
    `keep`.

    Args:
        directory: str. The checkpoint folder (created if missing).
        step: int. The global step.
        write_arrays: callable writing the `.npz` content to a binary file.
        metadata: dict stored beside `step` and the checksum (e.g.
            `{"config": {...}, "finished": True}`).
        keep: int. Checkpoints kept, at least 1.

    Example:
    ```python
    import numpy as np
    write_checkpoint("ckpt", 10, lambda f: np.savez(f, w=np.zeros(3)))
    ```
    """
    step = int(step)
    os.makedirs(directory, exist_ok=True)
    arrays_name, meta_name = checkpoint_names(step)
    arrays_path = os.path.join(directory, arrays_name)
    _write_file(arrays_path, write_arrays)
    content = {**(metadata or {}), "step": step, "arrays": arrays_name,
               "sha256": sha256_of(arrays_path)}
    _write_file(os.path.join(directory, meta_name),
                lambda f: f.write(json.dumps(content, indent=1).encode()))
    _fsync_folder(directory)
    prune(directory, keep)


def _candidates(directory):
    """`[(step, metadata_file)]`, newest first, by file name only."""
    if not directory or not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = PATTERN.match(name)
        if match:
            found.append((int(match.group(1)), name))
    if os.path.isfile(os.path.join(directory, LEGACY_STATE)):
        found.append((-1, LEGACY_STATE))
    return sorted(found, reverse=True)


def prune(directory, keep=KEEP):
    """Removes every checkpoint but the newest `keep` (and temporary files
    a kill left behind)."""
    keep = max(1, int(keep))
    for _, name in _candidates(directory)[keep:]:
        arrays = (LEGACY_ARRAYS if name == LEGACY_STATE
                  else name[:-len(".json")] + ".npz")
        for victim in (name, arrays):  # metadata first: then it is gone
            try:
                os.remove(os.path.join(directory, victim))
            except FileNotFoundError:
                pass
    for name in os.listdir(directory):
        if name.endswith(".tmp"):
            try:
                os.remove(os.path.join(directory, name))
            except FileNotFoundError:
                pass


def read_metadata(path):
    """The metadata of one checkpoint, checked; CheckpointError naming the
    file and field otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: unreadable checkpoint metadata "
                              f"({error})") from None
    if not isinstance(content, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    step = content.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(f"{path}: \"step\" must be a non-negative "
                              f"integer. Received: {step!r}")
    for key in ("sha256", "arrays"):
        if key in content and not isinstance(content[key], str):
            raise CheckpointError(f"{path}: \"{key}\" must be a string. "
                                  f"Received: {content[key]!r}")
    if not isinstance(content.get("config", {}), dict):
        raise CheckpointError(f"{path}: \"config\" must be an object")
    return content


def _arrays_path(directory, name, metadata):
    if name == LEGACY_STATE:
        return os.path.join(directory, LEGACY_ARRAYS)
    arrays = metadata.get("arrays") or name[:-len(".json")] + ".npz"
    if os.path.basename(arrays) != arrays:
        raise CheckpointError(f"{os.path.join(directory, name)}: \"arrays\" "
                              f"must be a file name. Received: {arrays!r}")
    return os.path.join(directory, arrays)


def _checked(directory, name, verify):
    """`(metadata, arrays_path)` of one checkpoint; CheckpointError when
    it cannot be used."""
    path = os.path.join(directory, name)
    metadata = read_metadata(path)
    arrays = _arrays_path(directory, name, metadata)
    if not os.path.isfile(arrays):
        raise CheckpointError(f"{arrays}: missing (named by {path})")
    if verify and "sha256" in metadata and (
            sha256_of(arrays) != metadata["sha256"]):
        raise CheckpointError(f"{arrays}: checksum mismatch (truncated or "
                              "corrupt)")
    return metadata, arrays


def skipped(message):
    """Reports a checkpoint passed over (a `CheckpointWarning`)."""
    warnings.warn(message, CheckpointWarning, stacklevel=3)


def usable_checkpoints(directory, verify=True, warn=skipped):
    """Yields `(metadata, arrays_path)` of each checkpoint, newest first,
    calling `warn(message)` (one line naming the file) for each one that
    cannot be used. A caller that fails to load one may take the next.
    """
    for _, name in _candidates(directory):
        try:
            yield _checked(directory, name, verify)
        except FileNotFoundError:
            continue  # pruned while listing
        except CheckpointError as error:
            warn(f"skipping checkpoint: {error}")


def latest_metadata(directory):
    """The metadata of the newest checkpoint whose metadata reads (its
    arrays are not verified), or None. Warnings are not emitted."""
    for metadata, _ in usable_checkpoints(directory, verify=False,
                                          warn=lambda message: None):
        return metadata
    return None


def has_checkpoints(directory):
    """Whether `directory` holds any checkpoint file, usable or not."""
    return bool(_candidates(directory))
