import keras
import numpy as np

from keras_mm.tasks import MaskedLanguageModel
from keras_mm.testing import assert_round_trip
from tasks_testdata import image_encoder
from tasks_testdata import preprocessor
from tasks_testdata import text_encoder

MASK_ID = 4  # "[MASK]" in keras_mm.data.TextPreprocessor


def build(with_image=True):
    return MaskedLanguageModel(
        text_encoder(causal=False, pooling="mean"),
        preprocessor().vocabulary_size,
        image_encoder=image_encoder() if with_image else None,
        name="mlm")


def masked(data, seed):
    x, y, w = MaskedLanguageModel.mask_tokens(
        data, preprocessor().vocabulary_size, MASK_ID, seed=seed)
    x["images"] = data["images"]
    return x, y, w


def test_mask_generator_in_the_data_path(shapes_test):
    x, y, w = masked(shapes_test, seed=0)
    rows = np.arange(len(y))[:, None]
    original = shapes_test["token_ids"][rows, x["mask_positions"]]
    # Labels are the original ids at the selected real positions.
    np.testing.assert_array_equal(y[w > 0], original[w > 0])
    assert shapes_test["padding_mask"][rows, x["mask_positions"]][
        w > 0].all()
    assert (x["token_ids"] == MASK_ID).sum() > 0


def test_round_trip(shapes_test, tmp_path):
    x, _, _ = masked({k: v[:4] for k, v in shapes_test.items()}, seed=1)
    assert_round_trip(build(), x, tmp_path)
    assert_round_trip(build(with_image=False),
                      {k: v for k, v in x.items() if k != "images"},
                      tmp_path)


def test_padded_positions_change_no_output(shapes_test):
    x, _, _ = masked({k: v[:4] for k, v in shapes_test.items()}, seed=2)
    model = build()
    out = keras.ops.convert_to_numpy(model(x))
    x["token_ids"] = np.where(x["padding_mask"], x["token_ids"], 9)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), out,
                               atol=1e-5)


def test_trains_and_beats_untrained(shapes_train, shapes_test):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile()
    test = masked(shapes_test, seed=3)
    before = model.evaluate(*test[:2], sample_weight=test[2], verbose=0,
                            return_dict=True)["mlm_accuracy"]
    model.fit(*masked(shapes_train, seed=4)[:2],
              sample_weight=masked(shapes_train, seed=4)[2],
              batch_size=32, epochs=4, verbose=0)
    after = model.evaluate(*test[:2], sample_weight=test[2], verbose=0,
                           return_dict=True)["mlm_accuracy"]
    assert after > before + 0.2, (before, after)
