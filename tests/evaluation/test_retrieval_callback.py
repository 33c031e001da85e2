import numpy as np

from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.encoding import text_inputs
from keras_mm.evaluation.retrieval_callback import RetrievalCallback
from keras_mm.metrics.retrieval import recall_at_k


def test_callback_logs_recall_during_fit(tiny_model, tiny_preprocessor,
                                         tiny_pairs):
    images = tiny_pairs["images"].astype("float32")
    captions = tiny_pairs["captions"]
    inputs = {"images": images, **text_inputs(tiny_preprocessor, captions)}
    held_out = {k: v[16:] for k, v in inputs.items()}
    callback = RetrievalCallback(held_out, image_labels=captions[16:],
                                 text_labels=captions[16:], ks=(1, 5))
    tiny_model.compile(optimizer="adam")
    history = tiny_model.fit({k: v[:16] for k, v in inputs.items()},
                             batch_size=8, epochs=2, verbose=0,
                             callbacks=[callback])
    for key in ("val_i2t_R@1", "val_i2t_R@5", "val_t2i_R@5",
                "val_t2i_mean_rank", "val_i2t_median_rank"):
        assert len(history.history[key]) == 2
    assert len(callback.history) == 2
    # The last logged values are Recall@K of the final model.
    expected = recall_at_k(
        encode_images(tiny_model, images[16:]),
        encode_texts(tiny_model, tiny_preprocessor, captions[16:]),
        captions[16:], captions[16:], ks=(1, 5))
    assert history.history["val_i2t_R@5"][-1] == expected[
        "image_to_text"]["R@5"]
    assert history.history["val_t2i_mean_rank"][-1] == expected[
        "text_to_image"]["mean_rank"]
    assert 0.0 <= history.history["val_t2i_R@1"][-1] <= 1.0
    assert callback.get_config()["ks"] == (1, 5)
    np.testing.assert_array_less(0, history.history["loss"])


def test_captions_merge_identical_ones(tiny_model, tiny_preprocessor,
                                       tiny_pairs):
    from keras_mm.metrics.retrieval import caption_recall_at_k

    images = tiny_pairs["images"][:8].astype("float32")
    captions = ["a red circle", "a blue square"] * 4  # class-like
    inputs = {"images": images, **text_inputs(tiny_preprocessor, captions)}
    callback = RetrievalCallback(inputs, captions=captions, ks=(1, 5))
    callback.set_model(tiny_model)
    report = callback.evaluate()
    assert report == caption_recall_at_k(
        encode_images(tiny_model, images),
        encode_texts(tiny_model, tiny_preprocessor, captions), captions,
        ks=(1, 5))
    # Two distinct captions: the true one is always within the top 5.
    assert report["image_to_text"]["R@5"] == 1.0
