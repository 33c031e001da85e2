"""Checkpoints every N steps and exact resume after a kill."""

import json
import os

import keras
import numpy as np

from keras_mm.api_export import keras_mm_export
from keras_mm.distribution.collectives import process_shard
from keras_mm.training.variables import named_variables

STATE = "state.json"
ARRAYS = "checkpoint.npz"


def save_checkpoint(model, directory, step, extra=None):
    """Writes model + optimizer variables and `step`, atomically.

    A kill during the write leaves the previous checkpoint intact: files are
    written under temporary names and renamed (the state file last). In a
    torch data-parallel job only process 0 writes (every process holds
    the same weights); every process restores.
    """
    if process_shard()[0] != 0:
        return
    os.makedirs(directory, exist_ok=True)
    arrays = {f"model/{n}": keras.ops.convert_to_numpy(v)
              for n, v in named_variables(model).items()}
    if model.optimizer is not None and model.optimizer.built:
        for i, v in enumerate(model.optimizer.variables):
            arrays[f"optimizer/{i}"] = keras.ops.convert_to_numpy(v)
    tmp = os.path.join(directory, ARRAYS + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, os.path.join(directory, ARRAYS))
    tmp = os.path.join(directory, STATE + ".tmp")
    with open(tmp, "w") as f:
        json.dump({"step": int(step), **(extra or {})}, f)
    os.replace(tmp, os.path.join(directory, STATE))


def latest_step(directory):
    """The step of the checkpoint in `directory`, or None."""
    path = os.path.join(directory or "", STATE)
    if not directory or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["step"]


def restore_checkpoint(model, directory):
    """Loads the checkpoint into a compiled `model`; returns its step."""
    step = latest_step(directory)
    if step is None:
        raise FileNotFoundError(os.path.join(directory, STATE))
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = named_variables(model)
    with np.load(os.path.join(directory, ARRAYS)) as data:
        for key in data.files:
            kind, name = key.split("/", 1)
            if kind == "model":
                variables[name].assign(data[key])
            else:
                model.optimizer.variables[int(name)].assign(data[key])
    return step


@keras_mm_export
class StepCheckpoint(keras.callbacks.Callback):
    """Saves a resumable checkpoint every `every_n_steps` batches.

    Args:
        directory: str. Folder of the checkpoint (overwritten each time).
        every_n_steps: int. Batches between checkpoints.
        initial_step: int. Global step at the start of this `fit` (when
            resuming).

    Example:
    ```python
    model.fit(x, callbacks=[keras_mm.training.StepCheckpoint("ckpt", 100)])
    step = keras_mm.training.restore_checkpoint(model, "ckpt")
    ```
    """

    def __init__(self, directory, every_n_steps, initial_step=0):
        super().__init__()
        self.directory = directory
        self.every_n_steps = int(every_n_steps)
        self.step = int(initial_step)

    def get_config(self):
        return {"directory": self.directory,
                "every_n_steps": self.every_n_steps,
                "initial_step": self.step}

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every_n_steps == 0:
            save_checkpoint(self.model, self.directory, self.step)
