import keras
import numpy as np

from keras_mm.models.clip.quickstart_clip import IMAGE_SIZE
from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_batch_shapes_ranges_and_determinism():
    x = tiny_clip_batch(5, seed=2, vocabulary_size=20)
    assert x["images"].shape == (5, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert x["images"].dtype == np.float32
    assert 0 <= x["images"].min() and x["images"].max() < 255
    assert x["token_ids"].shape == (5, SEQUENCE_LENGTH)
    assert x["token_ids"].dtype == np.int32
    assert 1 <= x["token_ids"].min() and x["token_ids"].max() < 20
    lengths = x["padding_mask"].sum(axis=1)
    assert x["padding_mask"].dtype == bool
    assert lengths.min() >= 3 and lengths.max() <= 9
    # Masks are left-aligned: each row is a prefix of True.
    np.testing.assert_array_equal(
        x["padding_mask"], np.arange(SEQUENCE_LENGTH)[None] < lengths[:, None])
    again = tiny_clip_batch(5, seed=2, vocabulary_size=20)
    for key in x:
        np.testing.assert_array_equal(x[key], again[key])
    other = tiny_clip_batch(5, seed=3, vocabulary_size=20)
    assert not np.array_equal(x["images"], other["images"])


def test_model_dims_seed_and_weights():
    model = tiny_clip(num_layers=2, seed=3, projection_dim=8)
    for modality in ("image", "text"):
        names = [layer.name for layer in
                 model.encoders[modality]._flatten_layers()]
        assert "block_1" in names and "block_2" not in names
    out = model(tiny_clip_batch(3), training=False)
    assert tuple(out["image_embeddings"].shape) == (3, 8)
    assert tuple(out["text_embeddings"].shape) == (3, 8)

    same = tiny_clip(num_layers=2, seed=3, projection_dim=8)
    for a, b in zip(_weights(model), _weights(same)):
        np.testing.assert_array_equal(a, b)

    # Another seed draws other weights, unless `weights` are given.
    other = tiny_clip(num_layers=2, seed=4, projection_dim=8)
    assert any(not np.array_equal(a, b) for a, b in
               zip(_weights(model), _weights(other)))
    other = tiny_clip(num_layers=2, seed=4, projection_dim=8,
                      weights=model.get_weights())
    for a, b in zip(_weights(model), _weights(other)):
        np.testing.assert_array_equal(a, b)


def test_seed_none_leaves_global_seed_alone():
    keras.utils.set_random_seed(5)
    first = tiny_clip(seed=None)
    # Had `seed=None` reseeded (e.g. with 0), these would differ.
    for a, b in zip(_weights(first), _weights(tiny_clip(seed=5))):
        np.testing.assert_array_equal(a, b)
