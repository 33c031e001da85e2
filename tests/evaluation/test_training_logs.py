import json

import keras
import numpy as np
import pytest

from keras_mm.evaluation.training_logs import find_training_logs
from keras_mm.evaluation.training_logs import read_training_logs


def test_reads_a_real_csv_logger_file(tmp_path):
    path = str(tmp_path / "training_log.csv")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
                        callbacks=[keras.callbacks.CSVLogger(path)])
    logs = read_training_logs(path)
    assert logs["epoch"] == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(logs["loss"], history.history["loss"],
                               rtol=1e-5)
    assert len(logs["val_loss"]) == 3
    assert find_training_logs(str(tmp_path)) == path


def test_reads_history_json_and_json_lines(tmp_path):
    (tmp_path / "history.json").write_text(
        json.dumps({"loss": [3.0, 2.0], "val_loss": [3.5, 2.5]}))
    logs = read_training_logs(str(tmp_path / "history.json"))
    assert logs == {"loss": [3.0, 2.0], "val_loss": [3.5, 2.5],
                    "epoch": [0.0, 1.0]}
    (tmp_path / "m.jsonl").write_text(
        '{"step": 10, "loss": 1.5}\n{"step": 20, "loss": 1.0}\n')
    logs = read_training_logs(str(tmp_path / "m.jsonl"))
    assert logs["step"] == [10.0, 20.0] and logs["loss"] == [1.5, 1.0]
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_training_logs(str(tmp_path / "nope.csv"))
