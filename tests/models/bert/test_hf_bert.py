"""A Hugging Face-format BERT folder (written by `write_random_hf_bert`,
without transformers) loads and matches a float64 NumPy reference; bad
tensors are named. `test_hf_bert_matches_transformers.py` checks the same
loader against transformers itself."""

import json
import math
import os

import numpy as np
import pytest

from keras_mm.checkpoints import CheckpointMismatchError
from keras_mm.models.bert import load_checkpoint
from keras_mm.models.bert import write_random_hf_bert

_erf = np.vectorize(math.erf)


def _layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _activation(name, x):
    if name == "gelu":  # exact, as torch.nn.functional.gelu
        return 0.5 * x * (1 + _erf(x / math.sqrt(2)))
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                  * (x + 0.044715 * x ** 3)))


def reference_forward(folder, token_ids, mask, pooling, normalize=False):
    """BERT in float64 NumPy from the raw files, independent of Keras."""
    from safetensors.numpy import load_file

    t = {k: v.astype("float64") for k, v in
         load_file(os.path.join(folder, "model.safetensors")).items()}
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    eps, heads = config["layer_norm_eps"], config["num_attention_heads"]
    batch, length = token_ids.shape
    x = (t["embeddings.word_embeddings.weight"][token_ids]
         + t["embeddings.position_embeddings.weight"][:length]
         + t["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, t["embeddings.LayerNorm.weight"],
                    t["embeddings.LayerNorm.bias"], eps)

    def linear(h, name):
        return h @ t[name + ".weight"].T + t[name + ".bias"]

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def split(h):  # (B, L, D) -> (B, H, L, D/H)
            return h.reshape(batch, length, heads, -1).transpose(0, 2, 1, 3)

        q, k, v = (split(linear(x, p + "attention.self." + n))
                   for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
        scores = np.where(mask[:, None, None, :], scores, -1e30)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length,
                                                               -1)
        x = _layer_norm(x + linear(context, p + "attention.output.dense"),
                        t[p + "attention.output.LayerNorm.weight"],
                        t[p + "attention.output.LayerNorm.bias"], eps)
        hidden = _activation(config["hidden_act"],
                             linear(x, p + "intermediate.dense"))
        x = _layer_norm(x + linear(hidden, p + "output.dense"),
                        t[p + "output.LayerNorm.weight"],
                        t[p + "output.LayerNorm.bias"], eps)
    if pooling == "pooler":
        pooled = np.tanh(linear(x[:, 0], "pooler.dense"))
    elif pooling == "cls":
        pooled = x[:, 0]
    else:
        m = mask[:, :, None].astype("float64")
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    if normalize:
        pooled /= np.linalg.norm(pooled, axis=-1, keepdims=True)
    return x, pooled


def _inputs(checkpoint, texts):
    batch = checkpoint.preprocessor(texts)
    return {"token_ids": np.asarray(batch["token_ids"], "int32"),
            "padding_mask": np.asarray(batch["padding_mask"], "bool")}


TEXTS = ["a red circle", "the small blue square on the left of a triangle"]


def _check(folder, pooling, normalize=False):
    checkpoint = load_checkpoint(str(folder))
    inputs = _inputs(checkpoint, TEXTS)
    out = checkpoint.encoder.predict_on_batch(inputs)
    seq, pooled = reference_forward(str(folder), inputs["token_ids"],
                                    inputs["padding_mask"], pooling,
                                    normalize)
    mask = inputs["padding_mask"]
    np.testing.assert_allclose(np.asarray(out["sequence_output"])[mask],
                               seq[mask], atol=1e-5, rtol=0)
    np.testing.assert_allclose(out["pooled_output"], pooled, atol=1e-5,
                               rtol=0)
    return checkpoint, pooled


@pytest.mark.parametrize("hidden_act", ["gelu", "gelu_new"])
def test_hf_bert_matches_numpy_reference(tmp_path, hidden_act):
    write_random_hf_bert(tmp_path, hidden_act=hidden_act,
                         layer_norm_eps=1e-5)
    checkpoint, pooled = _check(tmp_path, "pooler")
    assert checkpoint.source == "huggingface"
    assert checkpoint.encoder.activation == hidden_act
    assert checkpoint.encoder.layer_norm_epsilon == 1e-5
    # Tokens are the vocabulary's: [CLS] a red circle [SEP] [PAD]...
    ids = _inputs(checkpoint, ["a red circle"])["token_ids"][0]
    assert list(ids[:6]) == [2, 5, 7, 10, 3, 0]


def test_exact_and_tanh_gelu_differ_beyond_tolerance(tmp_path):
    # The check above is only meaningful if GELU's form shows in the output.
    write_random_hf_bert(tmp_path, hidden_act="gelu")
    checkpoint = load_checkpoint(str(tmp_path))
    inputs = _inputs(checkpoint, TEXTS)
    exact = reference_forward(str(tmp_path), inputs["token_ids"],
                              inputs["padding_mask"], "pooler")[0]
    config = json.loads((tmp_path / "config.json").read_text())
    config["hidden_act"] = "gelu_new"
    (tmp_path / "config.json").write_text(json.dumps(config))
    tanh = reference_forward(str(tmp_path), inputs["token_ids"],
                             inputs["padding_mask"], "pooler")[0]
    assert np.abs(exact - tanh).max() > 1e-4


@pytest.mark.parametrize("mode, normalize", [("mean", True), ("cls", False)])
def test_sentence_transformers_pooling_and_normalisation(tmp_path, mode,
                                                         normalize):
    write_random_hf_bert(tmp_path, sentence_transformers_pooling=mode,
                         normalize=normalize)
    checkpoint, pooled = _check(tmp_path, mode, normalize)
    assert checkpoint.source == "sentence-transformers"
    assert checkpoint.encoder.pooling == mode
    np.testing.assert_allclose(checkpoint.embed_texts(TEXTS), pooled,
                               atol=1e-5, rtol=0)
    if normalize:
        norms = np.linalg.norm(checkpoint.embed_texts(TEXTS), axis=-1)
        np.testing.assert_allclose(norms, 1.0, atol=1e-5)


def test_missing_tensor_is_named(tmp_path):
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    write_random_hf_bert(tmp_path)
    path = str(tmp_path / "model.safetensors")
    tensors = load_file(path)
    del tensors["encoder.layer.1.attention.self.key.bias"]
    save_file(tensors, path)
    with pytest.raises(CheckpointMismatchError,
                       match="encoder.layer.1.attention.self.key.bias"):
        load_checkpoint(str(tmp_path))


def test_mismatched_tensor_is_named_with_shapes(tmp_path):
    from safetensors.numpy import load_file
    from safetensors.numpy import save_file

    write_random_hf_bert(tmp_path, intermediate_dim=64)
    path = str(tmp_path / "model.safetensors")
    tensors = load_file(path)
    tensors["encoder.layer.0.intermediate.dense.weight"] = np.zeros(
        (48, 32), "float32")
    save_file(tensors, path)
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint(str(tmp_path))
    assert info.value.tensor_name == "encoder.layer.0.intermediate.dense.weight"
    assert "(48, 32)" in str(info.value) and "(64, 32)" in str(info.value)


def test_prefixed_names_and_pytorch_bin(tmp_path):
    pytest.importorskip("torch")
    tensors = write_random_hf_bert(tmp_path / "st", seed=3)
    write_random_hf_bert(tmp_path / "pt", seed=3, weight_format="pytorch")
    expected = load_checkpoint(str(tmp_path / "st")).embed_texts(TEXTS)
    actual = load_checkpoint(str(tmp_path / "pt")).embed_texts(TEXTS)
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=0)
    # BertForMaskedLM-style names ("bert." prefix, extra heads) also load.
    from safetensors.numpy import save_file

    prefixed = {"bert." + k: v for k, v in tensors.items()}
    prefixed["cls.predictions.bias"] = np.zeros(3, "float32")
    save_file(prefixed, str(tmp_path / "st" / "model.safetensors"))
    actual = load_checkpoint(str(tmp_path / "st")).embed_texts(TEXTS)
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=0)


def test_not_a_checkpoint_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="neither"):
        load_checkpoint(str(tmp_path))


def test_checkpoints_re_exports_the_bert_loaders():
    # keras_mm.checkpoints keeps its public names; they are the BERT
    # family's own objects, not copies.
    import keras_mm
    from keras_mm.models import bert

    for name in ("load_checkpoint", "is_checkpoint_folder", "load_hf_bert",
                 "load_keras_hub_bert", "encoder_from_bert_backbone",
                 "LoadedCheckpoint", "write_random_hf_bert"):
        assert getattr(keras_mm.checkpoints, name) is getattr(bert, name)
