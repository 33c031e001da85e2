"""Writes a small random BERT checkpoint in Hugging Face format.

Used by tests, examples and the `embed` docs: it produces exactly the files
a Hugging Face `BertModel.save_pretrained` (plus tokenizer) folder holds,
without needing `transformers` or a download.
"""

import json
import os

import numpy as np

DEFAULT_WORDS = ("a", "the", "red", "blue", "green", "circle", "square",
                 "triangle", "small", "large", "on", "left", "right", "of")


def write_random_hf_bert(folder, words=DEFAULT_WORDS, hidden_dim=32,
                         num_layers=2, num_heads=2, intermediate_dim=64,
                         max_position_embeddings=32, hidden_act="gelu",
                         layer_norm_eps=1e-12, with_pooler=True,
                         sentence_transformers_pooling=None, normalize=False,
                         seed=0, weight_format="safetensors"):
    """Writes `config.json`, weights and `vocab.txt` to `folder`.

    Args:
        sentence_transformers_pooling: None, `"mean"` or `"cls"`; when set,
            also writes `modules.json` and `1_Pooling/config.json`.
        normalize: bool. Adds a sentence-transformers Normalize module.
        weight_format: `"safetensors"` or `"pytorch"` (`pytorch_model.bin`,
            needs torch).

    Returns:
        `{name: np.ndarray}`, the tensors written.

    Example:
    ```python
    keras_mm.checkpoints.write_random_hf_bert("tiny_bert/")
    checkpoint = keras_mm.checkpoints.load_checkpoint("tiny_bert/")
    ```
    """
    os.makedirs(folder, exist_ok=True)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    rng = np.random.default_rng(seed)

    def normal(*shape, scale=0.2):
        return (rng.standard_normal(shape) * scale).astype("float32")

    d, m = hidden_dim, intermediate_dim
    tensors = {
        "embeddings.word_embeddings.weight": normal(len(vocabulary), d),
        "embeddings.position_embeddings.weight":
            normal(max_position_embeddings, d),
        "embeddings.token_type_embeddings.weight": normal(2, d),
        "embeddings.LayerNorm.weight": 1 + normal(d, scale=0.1),
        "embeddings.LayerNorm.bias": normal(d, scale=0.1),
    }
    for i in range(num_layers):
        p = f"encoder.layer.{i}."
        for name, shape in (("attention.self.query", (d, d)),
                            ("attention.self.key", (d, d)),
                            ("attention.self.value", (d, d)),
                            ("attention.output.dense", (d, d)),
                            ("intermediate.dense", (m, d)),
                            ("output.dense", (d, m))):
            tensors[p + name + ".weight"] = normal(*shape)
            tensors[p + name + ".bias"] = normal(shape[0], scale=0.1)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[p + name + ".weight"] = 1 + normal(d, scale=0.1)
            tensors[p + name + ".bias"] = normal(d, scale=0.1)
    if with_pooler:
        tensors["pooler.dense.weight"] = normal(d, d)
        tensors["pooler.dense.bias"] = normal(d, scale=0.1)

    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": len(vocabulary), "hidden_size": d,
        "num_hidden_layers": num_layers, "num_attention_heads": num_heads,
        "intermediate_size": m, "hidden_act": hidden_act,
        "max_position_embeddings": max_position_embeddings,
        "type_vocab_size": 2, "layer_norm_eps": layer_norm_eps,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "position_embedding_type": "absolute", "pad_token_id": 0,
    }
    _write_json(os.path.join(folder, "config.json"), config)
    _write_json(os.path.join(folder, "tokenizer_config.json"),
                {"do_lower_case": True, "tokenizer_class": "BertTokenizer"})
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocabulary) + "\n")
    if weight_format == "safetensors":
        from safetensors.numpy import save_file

        save_file(tensors, os.path.join(folder, "model.safetensors"))
    elif weight_format == "pytorch":
        import torch

        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()},
                   os.path.join(folder, "pytorch_model.bin"))
    else:
        raise ValueError("weight_format must be 'safetensors' or 'pytorch'. "
                         f"Received: {weight_format!r}")

    if sentence_transformers_pooling:
        modules = [
            {"idx": 0, "name": "0", "path": "",
             "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"},
        ]
        if normalize:
            modules.append({"idx": 2, "name": "2", "path": "2_Normalize",
                            "type": "sentence_transformers.models.Normalize"})
            os.makedirs(os.path.join(folder, "2_Normalize"), exist_ok=True)
        _write_json(os.path.join(folder, "modules.json"), modules)
        mode = sentence_transformers_pooling
        _write_json(os.path.join(folder, "1_Pooling", "config.json"), {
            "word_embedding_dimension": d,
            "pooling_mode_cls_token": mode == "cls",
            "pooling_mode_mean_tokens": mode == "mean",
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        })
        _write_json(os.path.join(folder, "sentence_bert_config.json"),
                    {"max_seq_length": max_position_embeddings,
                     "do_lower_case": False})
    return tensors


def _write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
