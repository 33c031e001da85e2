"""JAX on 8 virtual CPU devices: data and model parallel equal one device."""

import keras
import numpy as np
import pytest

from subprocess_utils import run_worker

pytestmark = [
    pytest.mark.skipif(keras.config.backend() != "jax", reason="jax only"),
    pytest.mark.large,
]


@pytest.fixture(scope="module")
def result():
    # The device count is fixed when JAX starts: a fresh process.
    return run_worker(
        "jax_parity_worker.py", timeout=400,
        XLA_FLAGS="--xla_force_host_platform_device_count=8",
        KERAS_BACKEND="jax",
    )


@pytest.mark.parametrize("kind", ["data", "model"])
def test_same_loss_trajectory_as_one_device(result, kind):
    assert result["devices"] == 8
    single = np.array(result["single"])
    assert len(single) == 5 and np.all(np.isfinite(single))
    np.testing.assert_allclose(result[kind], single, rtol=0, atol=1e-4)


def test_model_parallel_shards_kernels_on_the_model_axis(result):
    # (16, 48) qkv kernel: output axis split in 2 -> (16, 24) per device.
    assert result["model_qkv"]["spec"] == [None, "model"]
    assert result["model_qkv"]["shard_shape"] == [16, 24]
    assert result["model_mlp_out"]["spec"] == ["model", None]
    assert result["model_mlp_out"]["shard_shape"] == [32, 16]
    assert result["model_embedding"]["shard_shape"] == [50, 8]


def test_data_parallel_replicates_kernels(result):
    assert result["data_qkv"]["shard_shape"] == result["data_qkv"]["shape"]
