"""Resuming from checkpoints: a corrupt newest one falls back to the one
before; bad metadata, a step beyond the run and another batch size are
one-line errors; a finished run, rerun, reports its last loss."""

import json
import math
import os

import keras
import numpy as np
import pytest

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import checkpointing
from keras_mm.training import train
from keras_mm.training.checkpoint_files import CheckpointError
from keras_mm.training.checkpoint_files import CheckpointWarning


def _compiled():
    model = tiny_clip()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    return model


def _weights(model):
    return [keras.ops.convert_to_numpy(v).copy() for v in model.weights]


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(
        tmp_path):
    model = _compiled()
    model.fit(tiny_clip_batch(), batch_size=8, verbose=0)
    checkpointing.save_checkpoint(model, str(tmp_path), 1)
    expected = _weights(model)
    model.fit(tiny_clip_batch(), batch_size=8, verbose=0)
    checkpointing.save_checkpoint(model, str(tmp_path), 2)
    newest = tmp_path / "step-00000002.npz"
    newest.write_bytes(newest.read_bytes()[:100])

    other = _compiled()
    with pytest.warns(CheckpointWarning, match="step-00000002.npz"):
        assert checkpointing.restore_checkpoint(other, str(tmp_path)) == 1
    for a, b in zip(expected, _weights(other)):
        np.testing.assert_array_equal(a, b)

    # With nothing to fall back to: one line, not a BadZipFile.
    os.remove(tmp_path / "step-00000001.json")
    with pytest.warns(CheckpointWarning), pytest.raises(
            CheckpointError, match="No usable checkpoint"):
        checkpointing.restore_checkpoint(other, str(tmp_path))


def test_a_checkpoint_of_another_model_is_named(tmp_path):
    model = _compiled()
    checkpointing.save_checkpoint(model, str(tmp_path), 1)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(CheckpointError, match="another model"):
        checkpointing.restore_checkpoint(other, str(tmp_path))


def _config(directory, **overrides):
    return TrainConfig(**{"epochs": 1, "batch_size": 8, "learning_rate": 1e-2,
                          "seed": 0, "checkpoint_every": 1, "verbose": 0,
                          "checkpoint_dir": directory, **overrides})


def _newest_metadata(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    return os.path.join(directory, names[-1])


def test_resume_refuses_other_configs_and_bad_steps(tmp_path):
    ckpt = str(tmp_path / "ckpt")
    data = tiny_clip_batch(16)
    _, first = train(lambda: tiny_clip(seed=None), data, _config(ckpt))
    assert first["total_steps"] == 2 and math.isfinite(first["final_loss"])
    metadata = checkpointing.checkpoint_files.latest_metadata(ckpt)
    assert metadata["finished"] and metadata["config"]["batch_size"] == 8

    # A finished run, rerun: nothing trained, its last loss reported.
    _, again = train(lambda: tiny_clip(seed=None), data, _config(ckpt))
    assert again["finished_before"] and again["epoch_losses"] == []
    assert again["final_loss"] == first["final_loss"]

    # Another batch size would reinterpret the step count.
    with pytest.raises(CheckpointError) as caught:
        train(lambda: tiny_clip(seed=None), data,
              _config(ckpt, batch_size=4))
    message = str(caught.value)
    assert "batch_size 8 there, 4 now" in message and "\n" not in message
    assert "steps_per_epoch 2 there, 4 now" in message
    # So would another schedule.
    with pytest.raises(CheckpointError, match="learning_rate"):
        train(lambda: tiny_clip(seed=None), data,
              _config(ckpt, learning_rate=1e-3))

    # A step beyond the run's end is refused, not trained on as NaN.
    path = _newest_metadata(ckpt)
    with open(path) as f:
        content = json.load(f)
    with open(path, "w") as f:
        json.dump({**content, "step": 9999}, f)
    with pytest.raises(CheckpointError, match="9999, beyond this run's 2"):
        train(lambda: tiny_clip(seed=None), data, _config(ckpt))

    # A step that is not an integer falls back to the checkpoint before.
    with open(path, "w") as f:
        json.dump({**content, "step": "40"}, f)
    lines = []
    _, resumed = train(lambda: tiny_clip(seed=None), data, _config(ckpt),
                       print_fn=lines.append)
    assert resumed["resumed_from_step"] == 1
    warning = [line for line in lines if line.startswith("warning:")]
    assert len(warning) == 1 and path in warning[0]
    assert "'40'" in warning[0]
