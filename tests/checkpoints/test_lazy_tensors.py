"""`LazyTensors` reads what `read_tensors` reads, one tensor on access."""

import numpy as np
import pytest

from keras_mm.checkpoints.lazy_tensors import LazyTensors
from keras_mm.checkpoints.lazy_tensors import open_tensors
from keras_mm.checkpoints.tensor_files import read_tensors


def _tensors():
    rng = np.random.default_rng(0)
    return {
        "a.weight": rng.normal(size=(5, 3)).astype("float32"),
        "a.bias": rng.normal(size=(3,)).astype("float32"),
        "scale": np.asarray(2.5, "float32"),
        "half": rng.normal(size=(4,)).astype("float16"),
        "double": rng.normal(size=(2, 2)),
        "ids": np.arange(7, dtype="int64"),
        "empty": np.zeros((0, 4), "float32"),
    }


@pytest.fixture(params=["safetensors", "pytorch"])
def folder(request, tmp_path):
    tensors = _tensors()
    if request.param == "safetensors":
        from safetensors.numpy import save_file

        save_file(tensors, str(tmp_path / "model.safetensors"))
    else:
        torch = pytest.importorskip("torch")
        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()},
                   str(tmp_path / "pytorch_model.bin"))
    return str(tmp_path)


def test_same_values_as_read_tensors(folder):
    lazy = open_tensors(folder)
    eager = read_tensors(folder)
    assert sorted(lazy) == sorted(eager) == sorted(_tensors())
    assert len(lazy) == len(eager)
    for name, expected in _tensors().items():
        value = lazy[name]
        want = expected.astype("float32") if expected.dtype.kind == "f" \
            else expected
        assert value.dtype == want.dtype and value.shape == want.shape
        np.testing.assert_array_equal(value, want)
        np.testing.assert_array_equal(eager[name], want)


def test_mapping_behaviour_and_overrides(folder):
    lazy = LazyTensors(folder)
    assert "a.bias" in lazy and "missing" not in lazy
    with pytest.raises(KeyError):
        lazy["missing"]
    assert set(lazy.keys()) == set(_tensors())
    # Each access reads a fresh array: changing one does not change the next.
    first = lazy["a.weight"]
    first[:] = 0
    assert np.any(lazy["a.weight"] != 0)
    lazy["a.weight"] = np.ones((5, 3), "float32")
    np.testing.assert_array_equal(lazy["a.weight"], 1)
    lazy["extra"] = np.zeros(2, "float32")
    assert "extra" in lazy and len(lazy) == len(_tensors()) + 1


def test_bfloat16_and_alignment(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    values = torch.tensor([1.0, -2.5, 3.140625, 1e-3]).to(torch.bfloat16)
    save_file({"w": values, "x": torch.ones(3, 5)},
              str(tmp_path / "model.safetensors"))
    lazy = open_tensors(str(tmp_path))
    np.testing.assert_array_equal(lazy["w"], values.float().numpy())
    assert lazy["x"].ctypes.data % 64 == 0  # backends can alias it


def test_no_weights_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        open_tensors(str(tmp_path))


def test_random_init_skipped_keeps_constants():
    import keras

    from keras_mm.models.random_init_skipped import random_init_skipped

    with random_init_skipped():
        dense = keras.layers.Dense(4, bias_initializer="ones")
        dense.build((None, 3))
    assert not np.any(keras.ops.convert_to_numpy(dense.kernel))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(dense.bias), 1)
    after = keras.layers.Dense(4)
    after.build((None, 3))
    assert np.any(keras.ops.convert_to_numpy(after.kernel))
    assert dense.get_config()["kernel_initializer"]["class_name"] == (
        "GlorotUniform")
