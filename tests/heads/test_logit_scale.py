import math

import keras

import numpy as np
import pytest

from keras_mm.heads import LogitScale
from keras_mm.testing import assert_round_trip


def test_scale_bias_and_round_trip(tmp_path):
    layer = LogitScale(initial_scale=10.0, use_bias=True, initial_bias=-2.0)
    sims = np.array([[1.0, 0.5], [-0.5, 0.0]], "float32")
    logits = keras.ops.convert_to_numpy(layer(sims))
    np.testing.assert_allclose(logits, sims * 10.0 - 2.0, rtol=1e-6)
    assert_round_trip(layer, sims, tmp_path)


def test_scale_is_clamped():
    layer = LogitScale(initial_scale=50.0, max_scale=60.0)
    layer.build()
    layer.log_scale.assign(math.log(1000.0))
    scale = float(keras.ops.convert_to_numpy(layer.scale()))
    np.testing.assert_allclose(scale, 60.0, rtol=1e-6)
    with pytest.raises(ValueError, match="initial_scale"):
        LogitScale(initial_scale=200.0, max_scale=100.0)
