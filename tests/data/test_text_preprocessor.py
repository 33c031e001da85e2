import keras
import numpy as np

from keras_mm.data.text_preprocessor import TextPreprocessor

CORPUS = ["a red circle in the top left", "a blue square in the center",
          "a large green cross and a small red triangle"]


def test_trained_vocabulary_saves_and_reloads_identically(tmp_path):
    pre = TextPreprocessor.from_corpus(CORPUS, vocabulary_size=60,
                                       sequence_length=12)
    texts = ["a red square", "an unseen zebra"]
    expected = pre(texts)
    pre.save_vocabulary(tmp_path / "vocab.txt")
    loaded = TextPreprocessor.from_vocabulary_file(tmp_path / "vocab.txt",
                                                   sequence_length=12)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(pre))
    for other in (loaded, restored):
        out = other(texts)
        np.testing.assert_array_equal(np.asarray(out["token_ids"]),
                                      np.asarray(expected["token_ids"]))
        np.testing.assert_array_equal(np.asarray(out["padding_mask"]),
                                      np.asarray(expected["padding_mask"]))
    ids = np.asarray(expected["token_ids"])
    assert ids.shape == (2, 12) and ids[0, 0] == pre.vocabulary.index("[CLS]")


def test_tokenize_gives_unpacked_ids_and_pack_matches_call():
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red",
                  "circle", "blue"]
    pre = TextPreprocessor(vocabulary, sequence_length=5)
    texts = ["a red circle blue red", "Blue", ""]
    ids = pre.tokenize(texts)
    # No [CLS]/[SEP]/padding and no length limit; unknown words are [UNK].
    assert ids == [[5, 6, 7, 8, 6], [8], []]
    assert pre.tokenize("a zebra") == [[5, 1]]
    packed = pre.pack(ids)
    expected = pre(texts)
    np.testing.assert_array_equal(packed["token_ids"],
                                  np.asarray(expected["token_ids"]))
    np.testing.assert_array_equal(packed["padding_mask"],
                                  np.asarray(expected["padding_mask"]))
    assert packed["token_ids"].dtype == np.int32
    np.testing.assert_array_equal(packed["token_ids"][1], [2, 8, 3, 0, 0])
