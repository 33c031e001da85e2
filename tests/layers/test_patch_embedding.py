import numpy as np
import pytest

from keras_mm.layers import PatchEmbedding
from keras_mm.testing import assert_round_trip


@pytest.mark.parametrize("use_class_token", [True, False])
def test_shapes_and_round_trip(tmp_path, use_class_token):
    layer = PatchEmbedding(16, 4, 8, use_class_token=use_class_token)
    images = np.random.default_rng(0).normal(size=(2, 16, 16, 3))
    out = layer(images.astype("float32"))
    assert tuple(out.shape) == (2, 16 + use_class_token, 8)
    assert_round_trip(layer, images.astype("float32"), tmp_path)


def test_patch_size_must_divide():
    with pytest.raises(ValueError, match="divisible"):
        PatchEmbedding(15, 4, 8)
