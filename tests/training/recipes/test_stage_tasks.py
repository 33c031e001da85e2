"""The staged recipe's objectives: masked tokens with and without a mask
token, and a classifier of any number of classes."""

import numpy as np

from keras_mm.training.recipes import stage_tasks


def _text():
    token_ids = np.arange(5, 5 + 4 * 16).reshape(4, 16).astype("int32")
    padding = np.ones((4, 16), bool)
    padding[:, 12:] = False
    return {"token_ids": token_ids, "padding_mask": padding}


def test_masked_tokens_use_the_mask_token_on_real_tokens_only():
    text = _text()
    x, y, weight = stage_tasks.masked_token_data(text, ratio=0.5, seed=0)
    masked = weight.astype(bool)
    assert masked.any() and not masked[:, 12:].any()
    assert (x["token_ids"][masked] == stage_tasks.MASK_TOKEN_ID).all()
    np.testing.assert_array_equal(x["token_ids"][~masked],
                                  text["token_ids"][~masked])
    np.testing.assert_array_equal(y, text["token_ids"])


def test_without_a_mask_token_masked_tokens_become_random_ones():
    text = _text()
    x, _, weight = stage_tasks.masked_token_data(
        text, ratio=0.5, seed=0, mask_token_id=None, vocabulary_size=7)
    masked = weight.astype(bool)
    # Real tokens here are >= 5, replacements are < 7: most differ.
    assert (x["token_ids"][masked] < 7).all()
    assert (x["token_ids"][masked] != text["token_ids"][masked]).mean() > 0.5


def test_image_classifier_has_one_logit_per_class():
    from keras_mm.models.vit.vision_transformer_encoder import (
        VisionTransformerEncoder,
    )

    encoder = VisionTransformerEncoder(16, 8, 16, 1, 2, name="image_encoder")
    model = stage_tasks.image_classifier(encoder, 5)
    logits = model.predict({"images": np.zeros((2, 16, 16, 3), "float32")},
                           verbose=0)
    assert logits.shape == (2, 5)
