"""The run-folder callbacks: history.json, TensorBoard scalars, the
progress display, learning rate and samples/s in the epoch logs."""

import glob
import importlib.util
import json
import os

import numpy as np
import pytest

from dataset_helpers import unknown_length_dataset
from keras_mm.evaluation import RetrievalCallback
from keras_mm.evaluation import read_training_logs
from keras_mm.testing import tiny_clip
from keras_mm.training import HistoryJson
from keras_mm.training import TrainConfig
from keras_mm.training import train
from keras_mm.training import warmup_cosine


def _scalars(folder):
    import tensorflow as tf

    values = {}  # tag -> [(epoch, value)]; one event file per `fit`
    for path in glob.glob(os.path.join(folder, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag.startswith("epoch_"):
                    values.setdefault(value.tag, []).append(
                        (event.step, float(tf.make_ndarray(value.tensor))))
    return {tag: [v for _, v in sorted(pairs)]
            for tag, pairs in values.items()}


def test_history_tensorboard_and_progress_of_a_dataset_run(tmp_path,
                                                          capsys):
    validation = unknown_length_dataset(16, seed=1)
    path = str(tmp_path / "run" / "history.json")
    log_dir = str(tmp_path / "tb")
    config = TrainConfig(epochs=2, batch_size=8, verbose=2,
                         tensorboard_dir=log_dir)
    _, report = train(
        lambda: tiny_clip(seed=None), unknown_length_dataset(40), config,
        validation_data=validation,
        callbacks=[RetrievalCallback(validation), HistoryJson(path)],
        print_fn=lambda m: None)
    with open(path) as f:
        records = json.load(f)
    assert [r["epoch"] for r in records] == [0, 1]
    assert not os.path.exists(path + ".tmp")
    schedule = warmup_cosine(10, config.learning_rate)
    for record, step in zip(records, (5, 10)):
        assert record["learning_rate"] == pytest.approx(
            float(np.asarray(schedule(step))), rel=1e-5)
        assert record["samples_per_second"] > 0
        assert np.isfinite(record["val_loss"])
        for key in ("val_i2t_R@1", "val_i2t_R@5", "val_t2i_R@10"):
            assert 0.0 <= record[key] <= 1.0
    assert [r["loss"] for r in records] == report["epoch_losses"]
    assert read_training_logs(path)["loss"] == report["epoch_losses"]

    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("epoch ")]
    assert [line.split()[:4] for line in lines] == [
        ["epoch", "1/2", "step", "5/5"], ["epoch", "2/2", "step", "5/5"]]
    assert all("samples/s" in line and "val_i2t_R@1" in line
               for line in lines)

    if not importlib.util.find_spec("tensorboard"):
        pytest.skip("tensorboard is not installed")
    train_scalars = _scalars(os.path.join(log_dir, "train"))
    val_scalars = _scalars(os.path.join(log_dir, "validation"))
    assert train_scalars["epoch_loss"] == pytest.approx(
        report["epoch_losses"], rel=1e-6)
    for key in ("learning_rate", "samples_per_second"):
        assert train_scalars[f"epoch_{key}"] == pytest.approx(
            [r[key] for r in records], rel=1e-6)
    assert val_scalars["epoch_i2t_R@1"] == pytest.approx(
        [r["val_i2t_R@1"] for r in records])


def test_history_json_keeps_earlier_epochs_of_a_resumed_run(tmp_path):
    path = str(tmp_path / "history.json")
    with open(path, "w") as f:
        json.dump([{"epoch": e, "loss": 9.0} for e in range(3)], f)
    history = HistoryJson(path)
    history.on_epoch_end(1, {"loss": np.float32(0.5),
                             "val_loss": float("nan")})
    with open(path) as f:
        records = json.load(f)
    assert records == [{"epoch": 0, "loss": 9.0},
                       {"epoch": 1, "loss": 0.5, "val_loss": "nan"}]


def test_progress_bar_starts_a_resumed_epoch_where_it_stopped(capsys):
    from keras_mm.training import ProgressBar

    bar = ProgressBar(epochs=3, steps_per_epoch=4, batch_size=2,
                      initial_step=6, total_steps=10, verbose=2)
    bar.on_epoch_begin(1)
    for batch in range(2):
        bar.on_train_batch_end(batch, {"loss": 1.5})
    bar.on_epoch_end(1, {"loss": 1.25, "val_loss": 2.0})
    bar.on_epoch_begin(2)
    bar.on_train_batch_end(0, {"loss": 1.0})
    bar.on_train_batch_end(1, {"loss": 1.0})
    bar.on_epoch_end(2, {"loss": 1.0})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 2/3 step 4/4 ")
    assert "loss 1.25 val_loss 2 samples/s" in lines[0]
    assert lines[1].startswith("epoch 3/3 step 2/2 ")
    assert len(lines) == 2


def test_samples_per_second_leaves_out_the_first_batch():
    from keras_mm.training.epoch_stats import throughput

    # 3 batches of 8; the first (compiling) ends at 1 s, the last at 3 s.
    assert throughput(3, 0.0, 1.0, 3.0, 8) == 8.0
    assert throughput(1, 0.0, 2.0, 2.0, 8) == 4.0  # a one-batch epoch
    assert throughput(0, 0.0, 0.0, 0.0, 8) is None
