import numpy as np
import pytest

from keras_mm.heads import ModalityProjection
from keras_mm.testing import assert_round_trip

X = np.random.default_rng(0).normal(size=(3, 48)).astype("float32")


@pytest.mark.parametrize("variant, params", [
    ("mlp", 48 * 32 + 32 + 32 * 16 + 16),  # in → 2·out → out
    ("linear", 48 * 16),  # bias-free, as CLIP
])
def test_variants_and_round_trip(tmp_path, variant, params):
    layer = ModalityProjection(16, variant=variant)
    assert tuple(layer(X).shape) == (3, 16)
    assert layer.count_params() == params
    assert_round_trip(layer, X, tmp_path)


def test_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        ModalityProjection(16, variant="deep")
