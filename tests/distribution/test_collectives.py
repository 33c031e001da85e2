"""Outside tf.distribute the collectives are the identity."""

import numpy as np
from keras import ops

from keras_mm.distribution import gather_global_batch
from keras_mm.distribution import replica_info
from keras_mm.distribution import scale_loss_for_replicas


def test_identity_without_a_strategy():
    x = ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(3, 2))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(gather_global_batch(x)), ops.convert_to_numpy(x))
    loss = ops.convert_to_tensor(2.5)
    assert float(ops.convert_to_numpy(scale_loss_for_replicas(loss))) == 2.5
    assert replica_info() == (0, 1)
