import numpy as np

from keras_mm.data import tf_graph


def test_ragged_rows_keeps_each_row_and_empty_ones():
    ragged = tf_graph.ragged_rows([[5, 6, 7], [], [8]])
    assert ragged.dtype.name == "int32"
    assert ragged.to_list() == [[5, 6, 7], [], [8]]


def test_text_model_inputs_casts_and_fills_a_missing_mask():
    inputs = tf_graph.text_model_inputs(np.array([[1, 2, 0]], "int64"),
                                        np.array([[1, 1, 0]]))
    assert inputs["token_ids"].dtype.name == "int32"
    assert np.asarray(inputs["padding_mask"]).tolist() == [[True, True,
                                                            False]]
    everything = tf_graph.text_model_inputs(np.array([[1, 2, 0]]))
    assert np.asarray(everything["padding_mask"]).all()


def test_canonicalize_text_lowers_removes_and_collapses():
    texts = tf_graph.string_tensor(["  A  Cat!  Ä "])
    out = tf_graph.canonicalize_text(texts, remove_pattern="!")
    assert np.asarray(out).tolist() == ["a cat ä".encode()]
    ascii_only = tf_graph.canonicalize_text(texts, lower_case="ascii",
                                            normalize_whitespace=False)
    assert np.asarray(ascii_only).tolist() == ["  a  cat!  Ä ".encode()]


def test_text_batches_batches_the_corpus():
    batches = [b.shape[0] for b in tf_graph.text_batches(["a", "b", "c"], 2)]
    assert batches == [2, 1]
