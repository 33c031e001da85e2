"""A cut-short `.keras` file is named as such, not as a missing file."""

import keras
import pytest

import keras_mm


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    return path


@pytest.mark.parametrize("keep", [0.5, 0.0, 0.99])
def test_a_truncated_keras_file_says_truncated(saved, tmp_path, keep):
    raw = saved.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(ValueError, match=r"cut\.keras: not a complete "
                       r"\.keras file .* truncated or corrupt"):
        keras_mm.load_model(str(cut))


def test_whole_and_missing_files_are_left_to_keras(saved, tmp_path):
    assert keras_mm.load_model(saved).count_params() == 8
    with pytest.raises(ValueError, match="File not found"):
        keras_mm.load_model(str(tmp_path / "missing.keras"))
