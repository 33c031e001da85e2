import keras
import numpy as np

from keras_mm.fusion import FusionEncoder
from keras_mm.testing import assert_round_trip


def _data():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(2, 5, 16)).astype("float32")
    text = rng.normal(size=(2, 6, 24)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    return image, text, mask


def test_shape_and_type_embeddings():
    image, text, mask = _data()
    layer = FusionEncoder(16, num_layers=1, num_heads=2)
    out = keras.ops.convert_to_numpy(layer([image, text], [None, mask]))
    assert out.shape == (2, 11, 16)
    # Swapping the modality-type embeddings changes the output.
    types = keras.ops.convert_to_numpy(layer.type_embeddings)
    layer.type_embeddings.assign(types[::-1])
    swapped = keras.ops.convert_to_numpy(layer([image, text], [None, mask]))
    assert np.abs(swapped - out).max() > 1e-4


def test_padded_positions_change_no_output():
    image, text, mask = _data()
    layer = FusionEncoder(16, num_layers=2, num_heads=2)
    out = keras.ops.convert_to_numpy(layer([image, text], [None, mask]))
    text2 = text.copy()
    text2[~mask] = 7.0
    out2 = keras.ops.convert_to_numpy(layer([image, text2], [None, mask]))
    valid = np.concatenate([np.ones((2, 5), bool), mask], axis=1)
    np.testing.assert_allclose(out2[valid], out[valid], atol=1e-5)


def test_config_and_round_trip(tmp_path):
    image, text, mask = _data()
    layer = FusionEncoder(16, num_layers=1, num_heads=2, name="fuse")
    assert FusionEncoder.from_config(layer.get_config()).get_config() == (
        layer.get_config())
    a = keras.Input((5, 16))
    b = keras.Input((6, 24))
    m = keras.Input((6,), dtype="bool")
    model = keras.Model([a, b, m], layer([a, b], [None, m]))
    assert_round_trip(model, [image, text, mask], tmp_path)
