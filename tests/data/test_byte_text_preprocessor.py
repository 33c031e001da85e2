import keras
import numpy as np
import pytest

from keras_mm.data import ByteTextPreprocessor


def _numpy(outputs):
    return {k: keras.ops.convert_to_numpy(v) for k, v in outputs.items()}


def test_bytes_are_tokens_after_the_reserved_ids():
    pre = ByteTextPreprocessor(sequence_length=8)
    out = _numpy(pre(["ab", "é"]))
    # [CLS]=2, bytes + 5, [SEP]=3, [PAD]=0.
    np.testing.assert_array_equal(out["token_ids"][0],
                                  [2, 97 + 5, 98 + 5, 3, 0, 0, 0, 0])
    np.testing.assert_array_equal(out["token_ids"][1][:4],
                                  [2, 0xC3 + 5, 0xA9 + 5, 3])  # UTF-8 of é
    np.testing.assert_array_equal(out["padding_mask"][0],
                                  [1, 1, 1, 1, 0, 0, 0, 0])
    assert out["token_ids"].dtype == np.int32
    assert out["token_ids"].max() < pre.vocabulary_size == 261


def test_tokenize_gives_offset_bytes_and_pack_matches_call():
    pre = ByteTextPreprocessor(sequence_length=6)
    texts = ["ab", "é", "", "abcdefgh"]
    ids = pre.tokenize(texts)
    # Bytes + 5, no [CLS]/[SEP]/padding and no length limit.
    assert ids[:3] == [[97 + 5, 98 + 5], [0xC3 + 5, 0xA9 + 5], []]
    assert ids[3] == [b + 5 for b in b"abcdefgh"]
    assert pre.tokenize("a") == [[97 + 5]]
    packed = pre.pack(ids)
    expected = _numpy(pre(texts))
    np.testing.assert_array_equal(packed["token_ids"],
                                  expected["token_ids"])
    np.testing.assert_array_equal(packed["padding_mask"],
                                  expected["padding_mask"])
    assert packed["token_ids"].shape == (4, 6)


def test_any_script_is_known_and_long_text_is_truncated():
    pre = ByteTextPreprocessor(sequence_length=6)
    out = _numpy(pre("红色的圆 🟥"))
    assert out["token_ids"].shape == (1, 6)
    assert out["padding_mask"].all()
    assert out["token_ids"][0, -1] == 3  # [SEP] kept after truncation
    assert 1 not in out["token_ids"]  # never [UNK]


def test_runs_inside_tf_data_and_round_trips_its_config():
    import tensorflow as tf

    pre = ByteTextPreprocessor(sequence_length=10, lowercase=True)
    ds = tf.data.Dataset.from_tensor_slices(["A Red Circle", "b"]).batch(2)
    batch = next(iter(ds.map(pre)))
    clone = ByteTextPreprocessor.from_config(pre.get_config())
    np.testing.assert_array_equal(batch["token_ids"].numpy(),
                                  _numpy(clone(["a red circle", "b"]))[
                                      "token_ids"])


def test_too_short_sequence_length_is_refused():
    with pytest.raises(ValueError, match="sequence_length must be >= 3"):
        ByteTextPreprocessor(sequence_length=2)


def test_feeds_make_dataset_like_the_wordpiece_preprocessor():
    from keras_mm.data import Pair
    from keras_mm.data import make_dataset

    import io

    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), "uint8")).save(png, format="PNG")
    texts = ["ab", "c", "dé"]
    pairs = [Pair(png.getvalue(), text, f"row{i}")
             for i, text in enumerate(texts)]
    pre = ByteTextPreprocessor(sequence_length=5)
    batch = next(iter(make_dataset(pairs, pre, batch_size=3, image_size=8)))
    np.testing.assert_array_equal(batch["token_ids"].numpy(),
                                  _numpy(pre(texts))["token_ids"])
