"""Hugging Face RoBERTa folders load as text towers and reproduce
transformers, tokenizer included."""

import os

import numpy as np
import pytest

import hf_roberta_fixture as fixture

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def roberta_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_roberta"))
    fixture.write_hf_roberta(folder)
    return folder


def _run(tower, texts):
    import keras

    inputs = tower.preprocessor(texts)
    out = tower.encoder(inputs)
    return inputs, {k: keras.ops.convert_to_numpy(v) for k, v in out.items()}


def test_tokens_and_outputs_match_transformers(roberta_folder):
    import keras_mm

    ids, mask, hidden, pooled = fixture.reference_roberta(
        roberta_folder, fixture.TEXTS)
    tower = keras_mm.models.load_pretrained(roberta_folder)
    assert (tower.modality, tower.source) == ("text", "huggingface roberta")
    inputs, out = _run(tower, fixture.TEXTS)
    np.testing.assert_array_equal(inputs["token_ids"], ids)
    np.testing.assert_array_equal(inputs["padding_mask"], mask.astype(bool))
    # keras_mm zeroes padded positions; real tokens equal transformers'.
    real = mask.astype(bool)
    np.testing.assert_allclose(out["sequence_output"][real], hidden[real],
                               atol=1e-4)
    np.testing.assert_allclose(out["pooled_output"], pooled, atol=1e-4)


def test_tokenizer_json_alone_gives_the_same_ids(roberta_folder, tmp_path):
    from keras_mm.models.roberta.hf_roberta import roberta_text_preprocessor

    expected = roberta_text_preprocessor(roberta_folder, 16)(fixture.TEXTS)
    os.symlink(os.path.join(roberta_folder, "tokenizer.json"),
               tmp_path / "tokenizer.json")
    from_json = roberta_text_preprocessor(str(tmp_path), 16)(fixture.TEXTS)
    np.testing.assert_array_equal(from_json["token_ids"],
                                  expected["token_ids"])
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        roberta_text_preprocessor(str(tmp_path / "none"), 16)


def test_masked_lm_folder_and_sentence_transformers(tmp_path):
    import keras_mm

    roberta = str(tmp_path / "mlm")
    fixture.write_hf_roberta(roberta, masked_lm=True)  # `roberta.` prefix
    ids, mask, hidden, _ = fixture.reference_roberta(roberta, fixture.TEXTS)
    tower = keras_mm.models.load_pretrained(roberta)
    assert tower.encoder.pooling == "cls"  # No pooler in a masked LM.
    _, out = _run(tower, fixture.TEXTS)
    real = mask.astype(bool)
    np.testing.assert_allclose(out["sequence_output"][real], hidden[real],
                               atol=1e-4)
    st = str(tmp_path / "st")
    fixture.write_sentence_transformers(st, roberta)
    tower = keras_mm.models.load_pretrained(st)
    assert tower.source == "sentence-transformers roberta"
    # sentence-transformers: mean over real tokens, then unit norm.
    mean = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    mean /= np.linalg.norm(mean, axis=-1, keepdims=True)
    np.testing.assert_allclose(_run(tower, fixture.TEXTS)[1][
        "pooled_output"], mean, atol=1e-4)


def test_encoder_roundtrip(roberta_folder, tmp_path):
    import keras

    import keras_mm

    tower = keras_mm.models.load_pretrained(roberta_folder)
    inputs, out = _run(tower, fixture.TEXTS)
    path = str(tmp_path / "roberta.keras")
    tower.encoder.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reloaded(inputs)["pooled_output"]),
        out["pooled_output"], atol=1e-6)


def test_tokenizer_reloads_inside_a_keras_file(roberta_folder, tmp_path):
    import keras_mm

    image = keras_mm.models.VisionTransformerEncoder(
        image_size=16, patch_size=8, hidden_dim=16, num_layers=1,
        num_heads=2)
    model = keras_mm.models.dual_encoder(
        image=image, text=keras_mm.models.load_pretrained(roberta_folder),
        projection_dim=8)
    path = str(tmp_path / "roberta_dual.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    np.testing.assert_array_equal(
        reloaded.preprocessors["text"](fixture.TEXTS)["token_ids"],
        model.preprocessors["text"](fixture.TEXTS)["token_ids"])
    np.testing.assert_allclose(reloaded.embed("text", fixture.TEXTS),
                               model.embed("text", fixture.TEXTS), atol=1e-5)
