import keras
import numpy as np
import pytest

from keras_mm.tasks import MaskedImageModel
from keras_mm.testing import assert_round_trip
from tasks_testdata import image_encoder


def build(**kwargs):
    return MaskedImageModel(image_encoder(), mask_ratio=0.5, seed=0,
                            name="mim", **kwargs)


def fixed_mask(n, patches=16, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros((n, patches), bool)
    for row in mask:
        row[rng.choice(patches, patches // 2, replace=False)] = True
    return mask


def test_random_masks_hide_exactly_the_ratio(shapes_test):
    model = build()
    out = model({"images": shapes_test["images"][:4]})
    mask = keras.ops.convert_to_numpy(out["patch_mask"])
    assert mask.shape == (4, 16)
    assert (mask.sum(-1) == 8).all()
    assert out["predictions"].shape == (4, 16, 8 * 8 * 3)


def test_masked_pixels_are_hidden_from_the_encoder(shapes_test):
    model = build()
    images = shapes_test["images"][:2].copy()
    mask = fixed_mask(2)
    out = model({"images": images, "patch_mask": mask})["predictions"]
    # Scribbling over a hidden patch changes nothing.
    grid = mask[0].reshape(4, 4)
    r, c = np.argwhere(grid)[0]
    images[0, r * 8:(r + 1) * 8, c * 8:(c + 1) * 8] = 255.0
    out2 = model({"images": images, "patch_mask": mask})["predictions"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out2),
                               keras.ops.convert_to_numpy(out), atol=1e-5)


def test_patchify_order_matches_the_patch_embedding():
    model = build()
    images = np.arange(2 * 32 * 32 * 3, dtype="float32").reshape(
        2, 32, 32, 3)
    patches = keras.ops.convert_to_numpy(model.patchify(images))
    np.testing.assert_array_equal(
        patches[1, 5], images[1, 8:16, 8:16].reshape(-1))  # row 1, col 1


def test_round_trip(shapes_test, tmp_path):
    inputs = {"images": shapes_test["images"][:3],
              "patch_mask": fixed_mask(3)}
    assert_round_trip(build(), inputs, tmp_path)


def test_trains_and_beats_untrained(shapes_train, shapes_test):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile()
    test = {"images": shapes_test["images"],
            "patch_mask": fixed_mask(len(shapes_test["images"]))}
    before = model.evaluate(test, verbose=0,
                            return_dict=True)["masked_patch_mse"]
    model.fit({"images": shapes_train["images"]}, batch_size=32, epochs=2,
              verbose=0)
    after = model.evaluate(test, verbose=0,
                           return_dict=True)["masked_patch_mse"]
    assert after < 0.5 * before, (before, after)


def test_rejects_bad_ratio():
    with pytest.raises(ValueError, match="mask_ratio"):
        MaskedImageModel(image_encoder(), mask_ratio=1.0)
