"""A run on a dataset, stopped mid-epoch and resumed, ends with the
weights of an uninterrupted run."""

import keras
import numpy as np
import pytest

from dataset_helpers import unknown_length_dataset
from dataset_helpers import weights
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import train
from keras_mm.training.checkpointing import latest_step


class Stop(Exception):
    pass


class StopAt(keras.callbacks.Callback):
    """Raises after `step` batches (like a kill after a checkpoint)."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise Stop()


class Batches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1


def _run(checkpoint_dir="", callbacks=()):
    config = TrainConfig(epochs=2, batch_size=8, learning_rate=1e-2,
                         checkpoint_dir=checkpoint_dir, checkpoint_every=2,
                         verbose=0)
    messages = []
    model, report = train(lambda: tiny_clip(seed=None),
                          unknown_length_dataset(40), config,
                          callbacks=callbacks, print_fn=messages.append)
    return model, report, messages


def test_resume_mid_epoch_from_dataset_matches_uninterrupted(tmp_path):
    expected = weights(_run()[0])
    ckpt = str(tmp_path / "ckpt")
    with pytest.raises(Stop):
        _run(ckpt, [StopAt(7)])  # 5 batches per epoch: stopped in epoch 2
    assert latest_step(ckpt) == 6
    batches = Batches()
    model, report, messages = _run(ckpt, [batches])
    assert report["resumed_from_step"] == 6
    assert any("resumed from step 6" in m for m in messages)
    assert batches.count == 4  # only the batches not trained on yet
    assert int(model.optimizer.iterations) == 10
    for got, want in zip(weights(model), expected):
        np.testing.assert_allclose(got, want, atol=1e-6)


def _shuffled(epoch):
    """A fresh pipeline per epoch that reshuffles on every pass, seeded by
    the epoch: what `keras-mm train` feeds."""
    import tensorflow as tf

    rows = tf.data.Dataset.from_tensor_slices(tiny_clip_batch(40))
    return rows.shuffle(40, seed=epoch, reshuffle_each_iteration=True).batch(
        8, drop_remainder=True)


def test_resume_from_per_epoch_datasets_matches_uninterrupted(tmp_path):
    config = TrainConfig(epochs=3, batch_size=8, learning_rate=1e-2,
                         checkpoint_every=2, verbose=0,
                         checkpoint_dir=str(tmp_path / "ckpt"))
    plain = TrainConfig(**{**config.__dict__, "checkpoint_dir": ""})
    expected = weights(train(lambda: tiny_clip(seed=None), _shuffled,
                             plain, print_fn=lambda m: None)[0])
    with pytest.raises(Stop):  # stopped in the third epoch
        train(lambda: tiny_clip(seed=None), _shuffled, config,
              callbacks=[StopAt(13)], print_fn=lambda m: None)
    model, report = train(lambda: tiny_clip(seed=None), _shuffled, config,
                          print_fn=lambda m: None)
    assert report["resumed_from_step"] == 12
    for got, want in zip(weights(model), expected):
        np.testing.assert_array_equal(got, want)
