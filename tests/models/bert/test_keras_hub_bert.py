"""A keras-hub BERT preset folder loads offline into BertTextEncoder."""

import numpy as np

from keras_mm.models.bert import load_checkpoint

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red",
              "blue", "circle", "square"]


def test_keras_hub_preset_matches_backbone(tmp_path):
    import keras_hub

    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(VOCABULARY), num_layers=2, num_heads=2,
        hidden_dim=16, intermediate_dim=32, max_sequence_length=12,
    )
    backbone.save_to_preset(str(tmp_path))
    keras_hub.models.BertTokenizer(vocabulary=VOCABULARY).save_to_preset(
        str(tmp_path))

    checkpoint = load_checkpoint(str(tmp_path))
    assert checkpoint.source == "keras-hub"
    assert checkpoint.encoder.activation == "gelu_approximate"
    batch = checkpoint.preprocessor(["a red circle", "blue square"])
    inputs = {"token_ids": np.asarray(batch["token_ids"], "int32"),
              "padding_mask": np.asarray(batch["padding_mask"], "bool")}
    assert list(inputs["token_ids"][0, :5]) == [2, 5, 6, 8, 3]
    expected = backbone.predict_on_batch(
        {**inputs, "segment_ids": np.zeros_like(inputs["token_ids"])})
    actual = checkpoint.encoder.predict_on_batch(inputs)
    mask = inputs["padding_mask"]
    np.testing.assert_allclose(
        np.asarray(actual["sequence_output"])[mask],
        np.asarray(expected["sequence_output"])[mask], atol=1e-5, rtol=0)
    np.testing.assert_allclose(actual["pooled_output"],
                               expected["pooled_output"], atol=1e-5, rtol=0)


def test_is_checkpoint_folder_only_for_folders_that_load(tmp_path):
    import json

    from keras_mm.models.bert import is_checkpoint_folder
    from keras_mm.models.bert import write_random_hf_bert

    bert = tmp_path / "bert"
    write_random_hf_bert(str(bert))
    assert is_checkpoint_folder(str(bert))
    other = tmp_path / "blip"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "blip"}))
    assert not is_checkpoint_folder(str(other))
    assert not is_checkpoint_folder(str(tmp_path / "missing"))


def test_load_pretrained_reads_bert_folders_as_text_towers(tmp_path):
    import keras

    import keras_mm
    from keras_mm.models.bert import load_checkpoint
    from keras_mm.models.bert import write_random_hf_bert

    folder = str(tmp_path / "st")
    write_random_hf_bert(folder, sentence_transformers_pooling="mean",
                         normalize=True)
    tower = keras_mm.models.load_pretrained(folder)
    assert (tower.modality, tower.source) == ("text",
                                              "sentence-transformers")
    texts = ["a red circle", "the blue square"]
    batch = tower.preprocessor(texts)
    pooled = keras.ops.convert_to_numpy(tower.encoder.predict_on_batch({
        "token_ids": np.asarray(batch["token_ids"], "int32"),
        "padding_mask": np.asarray(batch["padding_mask"], "bool"),
    })["pooled_output"])
    np.testing.assert_allclose(
        pooled, load_checkpoint(folder).embed_texts(texts), atol=1e-6)
