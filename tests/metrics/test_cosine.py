import numpy as np

from keras_mm.metrics import l2_normalize
from keras_mm.metrics import row_cosine


def test_row_cosine_compares_row_by_row():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    b = np.array([[3.0, 0.0], [1.0, -1.0], [0.0, -1.0]])
    np.testing.assert_allclose(row_cosine(a, b), [1.0, 0.0, -1.0], atol=1e-6)


def test_row_cosine_of_a_zero_row_is_zero_not_nan():
    cosine = row_cosine([[0.0, 0.0]], [[1.0, 2.0]])
    assert np.isfinite(cosine).all() and cosine[0] == 0.0


def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows():
    x = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(x, [[0.6, 0.8], [0.0, 0.0]], atol=1e-6)
    assert x.dtype == np.float32
