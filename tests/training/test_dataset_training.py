"""train() on tf.data datasets: unknown length, steps, steps_per_epoch."""

import keras
import numpy as np
import pytest

from dataset_helpers import unknown_length_dataset
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import train


class CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = {}

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[self.epoch] = self.per_epoch.get(self.epoch, 0) + 1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def _train(data, callbacks=(), **options):
    messages = []
    config = TrainConfig(batch_size=8, verbose=0, **options)
    model, report = train(lambda: tiny_clip(seed=None), data, config,
                          callbacks=callbacks, print_fn=messages.append)
    return model, report, messages


def test_unknown_length_dataset_counts_batches_once_and_trains():
    data = unknown_length_dataset(40)
    assert int(data.cardinality()) < 0  # unknown
    counter = CountBatches()
    model, report, messages = _train(
        data, [counter], epochs=2,
        learning_rate=1e-2)
    assert any("counted 5 batches per epoch" in m for m in messages)
    assert counter.per_epoch == {0: 5, 1: 5}
    assert report["steps_per_epoch"] == 5 and report["total_steps"] == 10
    assert int(model.optimizer.iterations) == 10
    assert report["epoch_losses"][1] < report["epoch_losses"][0]


def test_steps_per_epoch_and_steps_size_the_run_and_schedule():
    counter = CountBatches()
    # 3 of the 5 batches per epoch, 7 steps in all: epochs 3, 3, 1.
    model, report, messages = _train(
        unknown_length_dataset(40), [counter], epochs=9, steps=7,
        steps_per_epoch=3)
    assert not any("counted" in m for m in messages)
    assert counter.per_epoch == {0: 3, 1: 3, 2: 1}
    assert report["total_steps"] == 7
    # The schedule spans the 7 steps: it ends at its final value.
    schedule = model.optimizer.learning_rate
    assert float(keras.ops.convert_to_numpy(schedule)) == pytest.approx(
        1e-3 * 0.01, rel=1e-3)
    # steps_per_epoch beyond one pass runs on into the next pass.
    counter = CountBatches()
    _train(unknown_length_dataset(16), [counter], steps_per_epoch=5)
    assert counter.per_epoch == {0: 5}


def test_arrays_keep_working_with_steps():
    counter = CountBatches()
    _train(tiny_clip_batch(40), [counter], epochs=2, steps_per_epoch=2,
           steps=3)
    assert counter.per_epoch == {0: 2, 1: 1}
    with pytest.raises(ValueError, match="steps_per_epoch=9 exceeds"):
        _train(tiny_clip_batch(40), steps_per_epoch=9)


def test_dataset_validation_and_static_batch_size():
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(tiny_clip_batch(32)).batch(
        8, drop_remainder=True)  # cardinality known, batch dim static 8
    _, report, messages = _train(data.map(lambda x: x), epochs=1)
    assert report["steps_per_epoch"] == 4 and report["batch_size"] == 8
    assert not any("counted" in m for m in messages)
    config = TrainConfig(batch_size=99, verbose=0)  # the dataset's 8 wins
    history = keras.callbacks.History()
    _, report = train(lambda: tiny_clip(seed=None), data, config,
                      validation_data=unknown_length_dataset(16),
                      callbacks=[history], print_fn=lambda m: None)
    assert report["batch_size"] == 8
    assert np.isfinite(history.history["val_loss"][-1])


def test_rerunning_a_finished_run_trains_no_more(tmp_path):
    options = {"steps": 7, "steps_per_epoch": 3, "checkpoint_every": 2,
               "checkpoint_dir": str(tmp_path / "ckpt")}
    _train(unknown_length_dataset(40), **options)
    counter = CountBatches()
    _, report, _ = _train(unknown_length_dataset(40), [counter], **options)
    assert report["resumed_from_step"] == 7
    assert counter.per_epoch == {} and report["epoch_losses"] == []
