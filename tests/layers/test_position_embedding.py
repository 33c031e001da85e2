import keras
import numpy as np

from keras_mm.layers import PositionEmbedding
from keras_mm.testing import assert_round_trip


def test_adds_a_prefix_of_the_table_and_round_trips(tmp_path):
    layer = PositionEmbedding(10)
    x = np.zeros((2, 6, 4), "float32")
    out = keras.ops.convert_to_numpy(layer(x))
    table = keras.ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_allclose(out, np.broadcast_to(table[:6], (2, 6, 4)))
    assert_round_trip(layer, x, tmp_path)
