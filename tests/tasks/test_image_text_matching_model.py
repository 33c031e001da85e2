import keras
import numpy as np
import pytest

from keras_mm.tasks import ImageTextMatchingModel
from keras_mm.testing import assert_round_trip
from tasks_testdata import image_encoder
from tasks_testdata import inputs
from tasks_testdata import text_encoder


def build(**kwargs):
    return ImageTextMatchingModel(
        {"image": image_encoder(pooling="mean"),
         "text": text_encoder(causal=False, pooling="mean")},
        projection_dim=32, num_heads=2, seed=0, name="albef", **kwargs)


def matching_accuracy(model, data):
    """How often an image's own caption out-scores another image's."""
    n = len(data["images"])
    shift = np.roll(np.arange(n), 1)
    negative = {**data, "token_ids": data["token_ids"][shift],
                "padding_mask": data["padding_mask"][shift]}
    keep = ~(data["token_ids"] == negative["token_ids"]).all(-1)
    pos = model.predict(data, batch_size=64, verbose=0)["itm_logits"]
    neg = model.predict(negative, batch_size=64, verbose=0)["itm_logits"]
    # Match score: logit of "match" minus logit of "no match".
    margin = (pos[:, 1] - pos[:, 0]) - (neg[:, 1] - neg[:, 0])
    return (margin > 0)[keep].mean()


def test_round_trip(shapes_test, tmp_path):
    model = build()
    batch = {k: v[:6] for k, v in shapes_test.items()}
    assert_round_trip(model, batch, tmp_path)


def test_negatives_exclude_duplicates_and_positives(shapes_test):
    model = build()
    batch = {k: v[:4].copy() for k, v in shapes_test.items()}
    # Rows 0 and 1 share a caption: neither may be the other's negative.
    batch["token_ids"][1] = batch["token_ids"][0]
    batch["padding_mask"][1] = batch["padding_mask"][0]
    out = model(batch, training=False)
    direct = keras.ops.convert_to_numpy(out["itm_negative_logits"])
    image_out = model.encoders["image"]({"images": batch["images"]})
    text_out = model.encoders["text"](
        {k: batch[k] for k in ("token_ids", "padding_mask")})
    image_emb = model._embed("image", image_out)
    text_emb = model._embed("text", text_out)
    sim = keras.ops.convert_to_numpy(model.similarity(image_emb, text_emb))
    same = (batch["token_ids"][:, None] == batch["token_ids"][None]).all(-1)
    hardest = np.where(same, -np.inf, sim).argmax(-1)
    assert not same[np.arange(4), hardest].any()
    expected = keras.ops.convert_to_numpy(model.match(
        (image_out["sequence_output"], image_emb),
        (keras.ops.take(text_out["sequence_output"], hardest, axis=0),
         keras.ops.take(text_emb, hardest, axis=0)),
        batch["padding_mask"][hardest]))
    np.testing.assert_allclose(direct[:4], expected, atol=1e-5)


def test_padded_positions_change_no_output(shapes_test):
    model = build()
    batch = {k: v[:4].copy() for k, v in shapes_test.items()}
    out = model(batch)
    mask = batch["padding_mask"]
    batch["token_ids"][~mask] = 9
    out2 = model(batch)
    for key in ("text_embeddings", "itm_logits"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out2[key]),
                                   keras.ops.convert_to_numpy(out[key]),
                                   atol=1e-5)


@pytest.mark.large
def test_trains_and_beats_untrained(shapes_train):
    # 256 held-out pairs: on 64, one pair is 0.016 and the untrained
    # score alone varied by 0.05 between runs of the same seed.
    held_out = inputs(256, seed=12)[0]
    keras.utils.set_random_seed(0)
    model = build()
    before = matching_accuracy(model, held_out)
    model.compile(optimizer=keras.optimizers.AdamW(2e-3, clipnorm=1.0))
    history = model.fit(shapes_train, batch_size=16, epochs=16, verbose=0)
    for part in ("itc_loss", "itm_loss", "itm_accuracy"):
        assert part in history.history
    after = matching_accuracy(model, held_out)
    # ITC must align first, then the ITM head follows: 8 epochs gave gains
    # within the noise (jax 0.56 -> 0.52 once in CI). Observed after 16:
    # jax 0.54 -> 0.73, tensorflow 0.48 -> 0.87, torch 0.47 -> 0.93.
    assert after > before + 0.15, (before, after)


def test_needs_image_and_text():
    with pytest.raises(ValueError, match="'image'"):
        ImageTextMatchingModel({"image": image_encoder(),
                                "audio": text_encoder()})
