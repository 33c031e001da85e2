"""Reading a Hugging Face-format folder's JSON files."""

import glob
import json
import os

from keras_mm.layers.activations import checkpoint_activation


def read_json(path):
    """A JSON file's content; a missing file is named in the error."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No {os.path.basename(path)} at {path}")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# Hugging Face config keys of a tower's sizes, as BERT names them.
BERT_SIZE_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads",
                  "intermediate_size")


def hf_tower_sizes(config, keys=BERT_SIZE_KEYS):
    """`hidden_dim`, `num_layers`, `num_heads` and `intermediate_dim` from
    the config entries named by `keys` (in that order).

    Example:
    ```python
    hf_tower_sizes({"hidden_size": 64, "num_hidden_layers": 2,
                    "num_attention_heads": 4, "intermediate_size": 256})
    # {"hidden_dim": 64, "num_layers": 2, "num_heads": 4, ...}
    ```
    """
    names = ("hidden_dim", "num_layers", "num_heads", "intermediate_dim")
    return {name: config[key] for name, key in zip(names, keys)}


def hf_tower_kwargs(config, source, default_activation="quick_gelu",
                    default_epsilon=1e-5):
    """Transformer-tower encoder arguments from a Hugging Face config with
    BERT's key names (`hidden_size`, `num_hidden_layers`...): CLIP's,
    SigLIP's, ViT's and wav2vec2's share them; only the defaults differ.

    Example:
    ```python
    hf_tower_kwargs({"hidden_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "intermediate_size": 256},
                    "config.json")["num_heads"]  # 4
    ```
    """
    return dict(
        **hf_tower_sizes(config),
        activation=checkpoint_activation(
            config.get("hidden_act", default_activation), source),
        layer_norm_epsilon=config.get("layer_norm_eps", default_epsilon),
    )


def model_type(folder):
    """The `model_type` in a folder's `config.json`, or `None`."""
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        return None
    try:
        return read_json(path).get("model_type")
    except (OSError, ValueError):
        return None


def has_weights(folder):
    """Whether `folder` holds Hugging Face weight files (safetensors or
    `pytorch_model*.bin`, sharded or not)."""
    return bool(glob.glob(os.path.join(folder, "*.safetensors"))
                or glob.glob(os.path.join(folder, "pytorch_model*.bin")))
