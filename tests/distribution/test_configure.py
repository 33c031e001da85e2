"""configure_distribution: argument checks, backend support, env start-up."""

import json

import keras
import pytest

from keras_mm.distribution import configure_distribution
from keras_mm.distribution import initialize_multi_process
from keras_mm.distribution import parse_mesh

BACKEND = keras.config.backend()


@pytest.mark.parametrize("mesh, shape", [
    (None, None), ("8", (8,)), ("4x2", (4, 2)), ("2X1", (2, 1)),
])
def test_parse_mesh(mesh, shape):
    assert parse_mesh(mesh) == shape


@pytest.mark.parametrize("mesh", ["", "0", "4x", "a", "2x2x2", "-1"])
def test_parse_mesh_rejects_bad_meshes(mesh):
    with pytest.raises(ValueError, match="'8' or '4x2'"):
        parse_mesh(mesh)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="none"):
        configure_distribution("pipeline")


def test_none_returns_none_and_leaves_no_distribution():
    assert configure_distribution("none") is None
    if BACKEND == "jax":
        assert keras.distribution.distribution() is None


@pytest.mark.skipif(BACKEND != "torch", reason="torch only")
def test_torch_model_parallel_names_the_supported_backends():
    with pytest.raises(ValueError) as error:
        configure_distribution("model", "2")
    message = str(error.value)
    assert "torch (data" in message and "jax" in message
    assert "tensorflow" in message


@pytest.mark.skipif(BACKEND != "torch", reason="torch only")
def test_torch_data_parallel_in_one_process(monkeypatch):
    for name in ("KERAS_DISTRIBUTION_NUM_PROCESSES", "WORLD_SIZE", "RANK"):
        monkeypatch.delenv(name, raising=False)
    parallel = configure_distribution("data")
    assert (parallel.rank, parallel.world_size) == (0, 1)
    assert configure_distribution("data", "1").world_size == 1
    # One process per device: the mesh is the number of processes.
    with pytest.raises(ValueError, match="one process per device"):
        configure_distribution("data", "2")
    assert configure_distribution("none") is None


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tensorflow only")
def test_tensorflow_model_parallel_points_to_jax():
    with pytest.raises(ValueError, match="jax"):
        configure_distribution("model", "1x2")


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tensorflow only")
def test_tensorflow_data_parallel_is_a_mirrored_strategy():
    import tensorflow as tf

    try:
        strategy = configure_distribution("data", "1")
        assert isinstance(strategy, tf.distribute.MirroredStrategy)
        assert tf.distribute.get_strategy() is strategy
        with pytest.raises(ValueError, match="needs|asks"):
            configure_distribution("data", "64")
    finally:
        configure_distribution("none")
    assert not tf.distribute.has_strategy()


@pytest.mark.skipif(BACKEND != "jax", reason="jax only")
def test_jax_data_parallel_over_every_device():
    try:
        distribution = configure_distribution("data")
        assert isinstance(distribution, keras.distribution.DataParallel)
        assert keras.distribution.distribution() is distribution
        devices = len(keras.distribution.list_devices())
        assert distribution.device_mesh.shape == (devices,)
        model_parallel = configure_distribution("model", str(devices))
        assert model_parallel.device_mesh.axis_names == ["batch", "model"]
        assert model_parallel.device_mesh.shape == (1, devices)
        with pytest.raises(ValueError, match="needs 64 devices"):
            configure_distribution("data", "64")
    finally:
        configure_distribution("none")


def test_single_process_needs_no_initialization(monkeypatch):
    for name in ("JOB_ADDRESSES", "NUM_PROCESSES", "PROCESS_ID"):
        monkeypatch.delenv(f"KERAS_DISTRIBUTION_{name}", raising=False)
    assert initialize_multi_process() == 1


def test_multi_process_needs_address_and_id(monkeypatch):
    monkeypatch.delenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", raising=False)
    monkeypatch.delenv("KERAS_DISTRIBUTION_PROCESS_ID", raising=False)
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    with pytest.raises(ValueError, match="coordinator address"):
        initialize_multi_process()


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tensorflow only")
def test_tensorflow_workers_come_from_the_environment(monkeypatch):
    # setenv (not delenv) so that monkeypatch undoes what the call writes.
    monkeypatch.setenv("TF_CONFIG", "")
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES",
                       "127.0.0.1:1,127.0.0.1:2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    assert initialize_multi_process() == 2
    import os

    config = json.loads(os.environ["TF_CONFIG"])
    assert config["cluster"]["worker"] == ["127.0.0.1:1", "127.0.0.1:2"]
    assert config["task"] == {"type": "worker", "index": 1}
