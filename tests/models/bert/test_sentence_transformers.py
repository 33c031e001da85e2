"""A sentence-transformers folder's modules decide the transformer folder,
the pooling, the normalisation and the sequence length."""

import json

import pytest

from keras_mm.models.bert.sentence_transformers import (
    read_sentence_transformers,
)

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"


def _write(folder, modules, pooling, length=None):
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": path, "type": kind}
         for i, (kind, path) in enumerate(modules)]))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if length:
        (folder / "0_Transformer").mkdir(exist_ok=True)
        (folder / "0_Transformer" / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": length}))


def test_plain_folder_has_no_pooling(tmp_path):
    assert read_sentence_transformers(str(tmp_path)) == (
        str(tmp_path), None, False, None)


def test_transformer_folder_pooling_normalize_and_length(tmp_path):
    _write(tmp_path, [(TRANSFORMER, "0_Transformer"), (POOLING, "1_Pooling"),
                      (NORMALIZE, "2_Normalize")],
           {"pooling_mode_mean_tokens": True}, length=24)
    assert read_sentence_transformers(str(tmp_path)) == (
        str(tmp_path / "0_Transformer"), "mean", True, 24)


@pytest.mark.parametrize("config, mode", [
    ({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False},
     "cls"),
    ({"pooling_mode": "mean"}, "mean"),  # Newer files name the mode.
])
def test_pooling_modes(tmp_path, config, mode):
    _write(tmp_path, [(TRANSFORMER, ""), (POOLING, "1_Pooling")], config)
    assert read_sentence_transformers(str(tmp_path))[1:3] == (mode, False)


@pytest.mark.parametrize("config, message", [
    ({"pooling_mode_max_tokens": True}, "pooling_mode_max_tokens"),
    ({"pooling_mode": "max"}, "'max' is not supported"),
])
def test_unsupported_pooling_is_named(tmp_path, config, message):
    _write(tmp_path, [(TRANSFORMER, ""), (POOLING, "1_Pooling")], config)
    with pytest.raises(ValueError, match=message):
        read_sentence_transformers(str(tmp_path))


def test_unsupported_module_names_the_file(tmp_path):
    _write(tmp_path, [(TRANSFORMER, ""), (POOLING, "1_Pooling"),
                      ("sentence_transformers.models.Dense", "2_Dense")],
           {"pooling_mode_mean_tokens": True})
    with pytest.raises(ValueError, match=r"modules.json.*Dense"):
        read_sentence_transformers(str(tmp_path))
