"""TensorBoardLogger: Keras' run layout, global steps, epochs from 1."""

import os

import keras
import numpy as np
import pytest

from keras_mm.training import TensorBoardLogger

pytest.importorskip("tensorboard")


def _read(folder):
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator)
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(folder, size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto))
                  for e in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


def test_steps_follow_a_resumed_run_and_epochs_count_from_one(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x = np.ones((16, 3), "float32")
    logger = TensorBoardLogger(str(tmp_path), update_freq=2,
                               initial_step=10)
    history = model.fit(x, x[:, :1], batch_size=4, epochs=2, verbose=0,
                        validation_data=(x, x[:, :1]), callbacks=[logger])
    train = _read(str(tmp_path / "train"))
    assert [s for s, _ in train["batch_loss"]] == [12, 14, 16, 18]
    assert [s for s, _ in train["batch_learning_rate"]] == [12, 14, 16, 18]
    assert [float(v) for _, v in train["epoch_loss"]] == pytest.approx(
        history.history["loss"])
    assert [s for s, _ in train["epoch_loss"]] == [1, 2]
    kernel = train[model.layers[0].kernel.path]
    assert [s for s, _ in kernel] == [1, 2] and kernel[0][1].shape == (30, 3)
    validation = _read(str(tmp_path / "validation"))
    assert [float(v) for _, v in validation["epoch_loss"]] == pytest.approx(
        history.history["val_loss"])
    assert not os.path.exists(tmp_path / "events")


def test_summary_writer_images_are_pngs_of_their_size(tmp_path):
    import io

    from PIL import Image

    from keras_mm.training.summary_writer import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    writer.image("maps", np.random.default_rng(0).random((2, 6, 5, 1)), 3)
    writer.flush()
    (step, encoded), = _read(str(tmp_path))["maps"]
    assert step == 3 and encoded[:2].tolist() == [b"5", b"6"]
    with Image.open(io.BytesIO(encoded[2])) as image:
        assert image.size == (5, 6) and image.mode == "L"


def test_update_freq_must_be_positive():
    with pytest.raises(ValueError, match="update_freq must be >= 1"):
        TensorBoardLogger("logs", update_freq=0)
