"""Hugging Face BERT and sentence-transformers folders written by
transformers load and reproduce it from raw strings, tokenizer included."""

import numpy as np
import pytest

import hf_bert_fixture as fixture

pytest.importorskip("transformers")
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bert_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_bert"))
    fixture.write_hf_bert(folder)
    return folder


@pytest.fixture(scope="module")
def sentence_transformers_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("st_bert"))
    fixture.write_sentence_transformers(folder)
    return folder


def _run(checkpoint, texts):
    import keras

    inputs = checkpoint.preprocessor(texts)
    inputs = {"token_ids": np.asarray(inputs["token_ids"], "int32"),
              "padding_mask": np.asarray(inputs["padding_mask"], "bool")}
    out = checkpoint.encoder(inputs)
    return inputs, {k: keras.ops.convert_to_numpy(v) for k, v in out.items()}


@pytest.mark.parametrize("folder_kind", ["bert", "sentence_transformers"])
@pytest.mark.parametrize("fast", [False, True])
def test_tokenizer_ids_match_transformers(request, folder_kind, fast):
    from keras_mm.models.bert import load_checkpoint

    folder = request.getfixturevalue(f"{folder_kind}_folder")
    ids, mask = fixture.reference_tokens(folder, fixture.TOKENIZER_TEXTS,
                                         fast)
    # The strings exercise what they are meant to: an unknown word, a
    # word piece, an accent stripped ("Café" -> "cafe").
    for token in ("[UNK]", "##s", "cafe"):
        assert (ids == fixture.VOCABULARY.index(token)).any(), token
    batch = load_checkpoint(folder).preprocessor(fixture.TOKENIZER_TEXTS)
    np.testing.assert_array_equal(batch["token_ids"], ids)
    np.testing.assert_array_equal(batch["padding_mask"], mask.astype(bool))


def test_hidden_state_and_pooler_match_transformers(bert_folder):
    from keras_mm.models.bert import load_checkpoint

    ids, mask, hidden, pooled = fixture.reference_bert(bert_folder,
                                                       fixture.TEXTS)
    checkpoint = load_checkpoint(bert_folder)
    assert checkpoint.source == "huggingface"
    assert checkpoint.encoder.pooling == "pooler"
    inputs, out = _run(checkpoint, fixture.TEXTS)
    np.testing.assert_array_equal(inputs["token_ids"], ids)
    # keras_mm zeroes padded positions; real tokens equal transformers'.
    real = mask.astype(bool)
    np.testing.assert_allclose(out["sequence_output"][real], hidden[real],
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(out["pooled_output"], pooled, atol=1e-4,
                               rtol=0)
    np.testing.assert_allclose(checkpoint.embed_texts(fixture.TEXTS),
                               pooled, atol=1e-4, rtol=0)


def test_cls_pooling_is_the_first_hidden_state(bert_folder):
    from keras_mm.models.bert import load_checkpoint

    _, _, hidden, _ = fixture.reference_bert(bert_folder, fixture.TEXTS)
    checkpoint = load_checkpoint(bert_folder, pooling="cls")
    np.testing.assert_allclose(checkpoint.embed_texts(fixture.TEXTS),
                               hidden[:, 0], atol=1e-4, rtol=0)


def test_masked_lm_folder_matches_transformers(tmp_path):
    from keras_mm.models.bert import load_checkpoint

    # BertForMaskedLM: tensors under "bert.", an MLM head, no pooler.
    fixture.write_hf_bert(str(tmp_path), masked_lm=True)
    _, mask, hidden, _ = fixture.reference_bert(str(tmp_path),
                                                fixture.TEXTS)
    checkpoint = load_checkpoint(str(tmp_path))
    assert checkpoint.encoder.pooling == "cls"
    _, out = _run(checkpoint, fixture.TEXTS)
    real = mask.astype(bool)
    np.testing.assert_allclose(out["sequence_output"][real], hidden[real],
                               atol=1e-4, rtol=0)


def test_sentence_transformers_matches_mean_pooled_transformers(
        sentence_transformers_folder):
    import keras_mm

    folder = sentence_transformers_folder
    expected = fixture.reference_sentence_embeddings(folder, fixture.TEXTS)
    checkpoint = keras_mm.checkpoints.load_checkpoint(folder)
    assert checkpoint.source == "sentence-transformers"
    assert (checkpoint.encoder.pooling, checkpoint.encoder.normalize) == (
        "mean", True)
    np.testing.assert_allclose(checkpoint.embed_texts(fixture.TEXTS),
                               expected, atol=1e-4, rtol=0)
    # The same folder through load_pretrained, as `keras-mm embed` reads it.
    tower = keras_mm.models.load_pretrained(folder)
    _, out = _run(tower, fixture.TEXTS)
    np.testing.assert_allclose(out["pooled_output"], expected, atol=1e-4,
                               rtol=0)


def test_accent_stripping_survives_the_preprocessor_config(bert_folder):
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.models.bert import load_checkpoint

    preprocessor = load_checkpoint(bert_folder).preprocessor
    assert (preprocessor.lowercase, preprocessor.strip_accents) == (True,
                                                                     True)
    again = TextPreprocessor.from_config(preprocessor.get_config())
    np.testing.assert_array_equal(again(["Café"])["token_ids"],
                                  preprocessor(["cafe"])["token_ids"])
