"""Checkpoints every N steps and exact resume after a kill.

The files are `keras_mm.training.checkpoint_files`': the last `keep`
checkpoints, each with a checksum and the config it was made with; a
corrupt newest one falls back to the one before, with a warning.
"""

import json
import zipfile

import keras
import numpy as np

from keras_mm.api_export import keras_mm_export
from keras_mm.distribution.collectives import process_shard
from keras_mm.training import checkpoint_files
from keras_mm.training.checkpoint_files import KEEP
from keras_mm.training.checkpoint_files import CheckpointError
from keras_mm.training.variables import named_variables

# Config keys that may change on resume: they set the run's length (the
# schedule is then recomputed for it) or what is logged.
LENGTH_KEYS = ("total_steps",)
# With a new length, the warmup fraction may change (warmup in steps kept).
SCHEDULE_FOLLOWS_LENGTH = ("warmup_fraction",)


def _arrays(model):
    arrays = {f"model/{n}": keras.ops.convert_to_numpy(v)
              for n, v in named_variables(model).items()}
    if model.optimizer is not None and model.optimizer.built:
        for i, v in enumerate(model.optimizer.variables):
            arrays[f"optimizer/{i}"] = keras.ops.convert_to_numpy(v)
    return arrays


def save_checkpoint(model, directory, step, extra=None, keep=KEEP):
    """Writes model + optimizer variables and `step` as a new checkpoint
    and keeps only the newest `keep`.

    A kill during the write leaves the previous checkpoints intact: files
    are written under temporary names and renamed (the metadata last).
    `extra` is stored in the metadata (e.g. `{"config": ...}`). In a
    torch data-parallel job only process 0 writes (every process holds the
    same weights); every process restores.
    """
    if process_shard()[0] != 0:
        return
    arrays = _arrays(model)
    checkpoint_files.write_checkpoint(
        directory, step, lambda f: np.savez(f, **arrays), extra, keep)


def latest_step(directory):
    """The step of the newest checkpoint in `directory`, or None."""
    metadata = checkpoint_files.latest_metadata(directory)
    return None if metadata is None else metadata["step"]


def _read_arrays(path):
    """Every array of an `.npz`, read into memory (so a bad file is found
    before any variable changes)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError,
            KeyError) as error:
        raise CheckpointError(f"{path}: unreadable ({error})") from None


def _check_arrays(model, arrays, path):
    """Raises CheckpointError (one line) when `arrays` do not fit `model`."""
    variables = named_variables(model)
    optimizer = model.optimizer.variables if model.optimizer else []
    names = {f"model/{n}" for n in variables}
    missing = sorted(names - set(arrays))
    if missing:
        raise CheckpointError(f"{path} lacks {len(missing)} variables of "
                              f"this model (e.g. {missing[0]}); was it "
                              "made for another model?")
    for key, value in arrays.items():
        kind, name = key.split("/", 1)
        if kind == "model":
            target = variables.get(name)
        elif name.isdigit() and int(name) < len(optimizer):
            target = optimizer[int(name)]
        else:
            target = None
        if target is None:
            raise CheckpointError(f"{path}: {key} is not a variable of this "
                                  "model or its optimizer")
        if tuple(target.shape) != value.shape:
            raise CheckpointError(f"{path}: {key} has shape {value.shape}, "
                                  f"the model {tuple(target.shape)}")


def load_checkpoint(model, directory, warn=checkpoint_files.skipped):
    """Loads the newest usable checkpoint into a compiled `model`.

    A checkpoint whose metadata or arrays are unreadable or fail their
    checksum is passed over with `warn(message)` (one line naming the
    file) for the one before it.

    Returns:
        Its metadata (`step`, `config`, ...).

    Raises:
        FileNotFoundError: `directory` holds no checkpoint.
        CheckpointError: none of its checkpoints can be used, or one does
            not fit the model.

    Example:
    ```python
    metadata = load_checkpoint(model, "run/checkpoints")
    metadata["step"]
    ```
    """
    if not checkpoint_files.has_checkpoints(directory):
        raise FileNotFoundError(f"No checkpoint in {directory}")
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    reasons = []

    def note(message):
        reasons.append(message)
        warn(message)

    for metadata, path in checkpoint_files.usable_checkpoints(
            directory, warn=note):
        try:
            arrays = _read_arrays(path)
        except CheckpointError as error:
            note(f"skipping checkpoint: {error}")
            continue
        _check_arrays(model, arrays, path)
        variables = named_variables(model)
        for key, value in arrays.items():
            kind, name = key.split("/", 1)
            if kind == "model":
                variables[name].assign(value)
            else:
                model.optimizer.variables[int(name)].assign(value)
        return {**metadata, "arrays_path": path}
    raise CheckpointError(f"No usable checkpoint in {directory}: "
                          + (reasons[-1] if reasons else "none found"))


def restore_checkpoint(model, directory, warn=checkpoint_files.skipped):
    """Loads the newest usable checkpoint into a compiled `model`; returns
    its step (`load_checkpoint`)."""
    return load_checkpoint(model, directory, warn)["step"]


def _plain(value):
    return json.loads(json.dumps(value, default=list))


def config_changes(recorded, current):
    """`{key: (recorded, current)}` of the run config keys that may not
    change on resume: all but the length (and, with a new length, the
    warmup fraction). Keys one side lacks are not compared.

    Example:
    ```python
    config_changes({"batch_size": 8, "total_steps": 10},
                   {"batch_size": 16, "total_steps": 20})
    # {'batch_size': (8, 16)}
    ```
    """
    free = set(LENGTH_KEYS)
    if recorded.get("total_steps") != current.get("total_steps"):
        free |= set(SCHEDULE_FOLLOWS_LENGTH)
    recorded, current = _plain(recorded), _plain(current)
    return {key: (recorded[key], current[key]) for key in recorded
            if key in current and key not in free
            and recorded[key] != current[key]}


@keras_mm_export
class StepCheckpoint(keras.callbacks.Callback):
    """Saves a resumable checkpoint every `every_n_steps` batches.

    Args:
        directory: str. Folder of the checkpoints.
        every_n_steps: int. Batches between checkpoints.
        initial_step: int. Global step at the start of this `fit` (when
            resuming).
        keep: int. Newest checkpoints kept (each with a checksum), so a
            corrupt newest one falls back to the one before.
        metadata: dict stored with each checkpoint (e.g. the run config).

    Example:
    ```python
    model.fit(x, callbacks=[keras_mm.training.StepCheckpoint("ckpt", 100)])
    step = keras_mm.training.restore_checkpoint(model, "ckpt")
    ```
    """

    def __init__(self, directory, every_n_steps, initial_step=0, keep=KEEP,
                 metadata=None):
        super().__init__()
        self.directory = directory
        self.every_n_steps = int(every_n_steps)
        self.step = int(initial_step)
        self.keep = int(keep)
        self.metadata = dict(metadata or {})

    def get_config(self):
        return {"directory": self.directory,
                "every_n_steps": self.every_n_steps,
                "initial_step": self.step, "keep": self.keep,
                "metadata": self.metadata}

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every_n_steps == 0:
            save_checkpoint(self.model, self.directory, self.step,
                            self.metadata, self.keep)
