"""keras_mm's AdamW and schedule (`keras_mm.optimizers.adamw`)."""

import keras
import numpy as np

from keras_mm.optimizers import adamw


def test_warmup_then_cosine():
    schedule = adamw.warmup_cosine(100, 1e-3, warmup_fraction=0.1)
    lr = [float(keras.ops.convert_to_numpy(schedule(s)))
          for s in (0, 5, 10, 55, 100)]
    assert lr[0] == 0.0
    np.testing.assert_allclose(lr[1], 5e-4, rtol=1e-5)
    np.testing.assert_allclose(lr[2], 1e-3, rtol=1e-5)
    assert lr[2] > lr[3] > lr[4]
    np.testing.assert_allclose(lr[4], 1e-5, rtol=1e-3)
