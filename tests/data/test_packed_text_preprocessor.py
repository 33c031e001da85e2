import numpy as np
import tensorflow as tf

from keras_mm.data import ByteTextPreprocessor
from keras_mm.data import TextPreprocessor
from keras_mm.data.packed_text_preprocessor import PackedTextPreprocessor
from keras_mm.data.packed_text_preprocessor import id_lists


def test_id_lists_reads_ragged_dense_and_nested_lists():
    expected = [[1, 2, 3], [4]]
    assert id_lists(tf.ragged.constant(expected)) == expected
    assert id_lists(np.array([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert id_lists([np.array([1, 2, 3]), [4]]) == expected


def test_both_preprocessors_pack_and_call_alike():
    texts = ["a red circle", "a blue square on the left"]
    for pre in (TextPreprocessor.from_corpus(texts, vocabulary_size=64,
                                             sequence_length=8),
                ByteTextPreprocessor(sequence_length=8)):
        assert isinstance(pre, PackedTextPreprocessor)
        called = pre(texts)
        packed = pre.pack(pre.tokenize(texts))
        np.testing.assert_array_equal(np.asarray(called["token_ids"]),
                                      packed["token_ids"])
        np.testing.assert_array_equal(np.asarray(called["padding_mask"]),
                                      packed["padding_mask"])
        assert packed["token_ids"].shape == (2, 8)
        single = pre("a red circle")  # one string is a batch of one
        assert np.asarray(single["token_ids"]).shape == (1, 8)


def test_tokenize_lives_in_the_base_and_adds_the_class_offset():
    texts = ["ab", "a red circle"]
    word = TextPreprocessor.from_corpus(texts, vocabulary_size=64,
                                        sequence_length=8)
    byte = ByteTextPreprocessor(sequence_length=8)
    assert PackedTextPreprocessor.token_id_offset == 0
    assert TextPreprocessor.token_id_offset == 0
    assert ByteTextPreprocessor.token_id_offset == 5
    for cls in (TextPreprocessor, ByteTextPreprocessor):
        assert "tokenize" not in cls.__dict__  # one copy, in the base
    assert byte.tokenize("ab") == [[ord("a") + 5, ord("b") + 5]]
    assert word.tokenize(texts) == id_lists(word.tokenizer(texts))
    for pre in (word, byte):  # strings pass through, set by the base
        assert pre._convert_input_args is False
        assert pre._allow_non_tensor_positional_args is True


def test_keras_file_round_trip_keeps_offset_tokenize_and_outputs(tmp_path):
    import warnings

    import keras

    import keras_mm

    texts = ["ab", "a red circle"]
    for pre in (TextPreprocessor.from_corpus(texts, vocabulary_size=64,
                                             sequence_length=8),
                ByteTextPreprocessor(sequence_length=8)):
        path = str(tmp_path / f"{pre.name}.keras")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "not yet built": no weights
            keras.saving.save_model(pre, path)
        clone = keras_mm.load_model(path)
        assert type(clone) is type(pre)
        assert clone.get_config() == pre.get_config()
        assert clone.tokenize(texts) == pre.tokenize(texts)
        np.testing.assert_array_equal(np.asarray(clone(texts)["token_ids"]),
                                      np.asarray(pre(texts)["token_ids"]))
