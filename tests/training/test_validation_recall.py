"""Validation Recall@K on a dataset of model-input dicts, per epoch,
equals `recall_at_k` on the same embeddings."""

import numpy as np

from dataset_helpers import unknown_length_dataset
from keras_mm.evaluation import RetrievalCallback
from keras_mm.evaluation.encoding import encode_batches
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import train


def _embeddings(model, inputs):
    return (encode_batches(model, "image", inputs),
            encode_batches(model, "text", inputs))


def test_dataset_recall_equals_recall_at_k_after_each_epoch():
    held_out = tiny_clip_batch(20, seed=3)  # batches of 8, 8 and 4
    callback = RetrievalCallback(unknown_length_dataset(20, seed=3),
                                 ks=(1, 5, 10))
    config = TrainConfig(epochs=2, batch_size=8, verbose=0)
    model, _ = train(lambda: tiny_clip(seed=None), tiny_clip_batch(32),
                     config, callbacks=[callback], print_fn=lambda m: None)
    assert [entry["epoch"] for entry in callback.history] == [0, 1]
    expected = recall_at_k(*_embeddings(model, held_out), range(20),
                           range(20), (1, 5, 10))
    last = callback.history[-1]
    for k in (1, 5, 10):
        assert last[f"val_i2t_R@{k}"] == expected["image_to_text"][f"R@{k}"]
        assert last[f"val_t2i_R@{k}"] == expected["text_to_image"][f"R@{k}"]
    assert last["val_t2i_mean_rank"] == expected["text_to_image"][
        "mean_rank"]
    # The same held-out rows as one dict of arrays give the same report.
    as_dict = RetrievalCallback(held_out, ks=(1, 5, 10))
    as_dict.set_model(model)
    assert as_dict.evaluate() == callback.evaluate()


def test_identical_captions_count_as_one():
    model = tiny_clip()
    held_out = tiny_clip_batch(12, seed=4)
    for key in ("token_ids", "padding_mask"):  # rows 6..11 repeat 0..5
        held_out[key][6:] = held_out[key][:6]
    images, texts = _embeddings(model, held_out)
    captions = [f"caption {i % 6}" for i in range(12)]
    expected = caption_recall_at_k(images, texts, captions, (1, 5))
    callback = RetrievalCallback(held_out, ks=(1, 5),
                                 same_text_matches=True)
    callback.set_model(model)
    assert callback.evaluate() == expected
    # Caption strings give the same report, on batched data too.
    batches = [{k: v[i:i + 5] for k, v in held_out.items()}
               for i in range(0, 12, 5)]
    callback = RetrievalCallback(batches, ks=(1, 5), captions=captions)
    callback.set_model(model)
    assert callback.evaluate() == expected
    plain = RetrievalCallback(held_out, ks=(1, 5))
    plain.set_model(model)
    assert plain.evaluate() == recall_at_k(images, texts, range(12),
                                           range(12), (1, 5))
    assert np.all(np.isfinite(images))
