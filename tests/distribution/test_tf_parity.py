"""TensorFlow MirroredStrategy (2 logical CPUs) equals one device only with
the global-batch (all-gathered) contrastive loss."""

import keras
import numpy as np
import pytest

from subprocess_utils import run_worker

pytestmark = [
    pytest.mark.skipif(keras.config.backend() != "tensorflow",
                       reason="tensorflow only"),
    pytest.mark.large,
]


@pytest.fixture(scope="module")
def result():
    # Logical devices must be set before TensorFlow starts: a fresh process.
    return run_worker("tf_parity_worker.py", timeout=400,
                      KERAS_BACKEND="tensorflow")


def test_global_batch_loss_matches_one_device(result):
    assert result["replicas"] == 2
    single = np.array(result["clip_single"])
    assert len(single) == 5 and np.all(np.isfinite(single))
    np.testing.assert_allclose(result["clip_global"], single, rtol=0,
                               atol=1e-4)


def test_per_replica_loss_does_not(result):
    # Each replica seeing only its own 8 negatives is a different objective.
    gap = np.max(np.abs(np.array(result["clip_per_replica"])
                        - result["clip_single"]))
    assert gap > 1e-2


def test_siglip_global_batch_loss_matches_one_device(result):
    np.testing.assert_allclose(result["siglip_global"],
                               result["siglip_single"], rtol=0, atol=1e-4)
