"""LoRA on chosen layers of either tower: enable, save, load, merge.

Keras' `layer.enable_lora(rank, lora_alpha)` (Dense, EinsumDense,
Embedding) freezes the kernel and adds two float32 low-rank factors; the
effective kernel is `kernel + (alpha / rank) · A @ B`. This module picks the
layers, freezes everything else, stores only the factors in a small `.npz`
adapter, and folds them back into plain kernels for export.
"""

import json
import re

import keras
import numpy as np

from keras_mm.training.variables import named_layers
from keras_mm.training.variables import named_variables

DEFAULT_TARGETS = ("qkv", "attention_output")
_LORA_VARIABLES = ("lora_kernel_a", "lora_kernel_b", "lora_embeddings_a",
                   "lora_embeddings_b")


def _is_lora_variable(name):
    return name.rsplit("/", 1)[-1] in _LORA_VARIABLES


def _lora_layers(model):
    return {
        name: layer for name, layer in named_layers(model).items()
        if getattr(layer, "lora_enabled", False)
    }


def enable_lora(model, rank, alpha=None, towers=None,
                targets=DEFAULT_TARGETS, train_variables=()):
    """Adds LoRA factors to matching layers and freezes all other weights.

    Args:
        model: a built model with an `encoders` dict.
        rank: int. Rank of the update.
        alpha: float. Scaling numerator; defaults to `rank` (scale 1).
        towers: list of modalities (default: every tower).
        targets: regexes matched (`re.fullmatch`) against the layer's own
            name, e.g. `("qkv", "attention_output", "mlp_.*")`.
        train_variables: regexes of other variable names that stay
            trainable (e.g. `"projection"`); they are not in the adapter.

    Returns:
        The list of layer names that received LoRA.

    Example:
    ```python
    keras_mm.training.enable_lora(model, rank=4, towers=["text"])
    ```
    """
    encoders = model.encoders
    towers = list(encoders) if towers is None else list(towers)
    prefixes = tuple(f"{encoders[t].name}/" for t in towers)
    enabled = []
    for name, layer in named_layers(model).items():
        if not name.startswith(prefixes) or not hasattr(layer, "enable_lora"):
            continue
        if any(re.fullmatch(t, layer.name) for t in targets):
            if not layer.lora_enabled:
                layer.enable_lora(rank, lora_alpha=alpha or rank)
            enabled.append(name)
    if not enabled:
        raise ValueError(f"No layer of towers {towers} matches {targets}.")
    for name, variable in named_variables(model).items():
        variable.trainable = _is_lora_variable(name) or any(
            re.search(p, name) for p in train_variables
        )
    return enabled


def lora_state(model):
    """`(arrays, meta)`: the LoRA factors by name and each layer's rank."""
    arrays = {
        name: keras.ops.convert_to_numpy(v)
        for name, v in named_variables(model).items()
        if _is_lora_variable(name)
    }
    meta = {
        name: {"rank": int(layer.lora_rank), "alpha": float(layer.lora_alpha)}
        for name, layer in _lora_layers(model).items()
    }
    return arrays, meta


def save_lora_adapter(model, path):
    """Writes only the LoRA factors (and their ranks) to `path` (.npz)."""
    arrays, meta = lora_state(model)
    if not arrays:
        raise ValueError("The model has no LoRA layers; call enable_lora.")
    encoded = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, __meta__=encoded, **arrays)
    return path


def load_lora_adapter(model, path):
    """Enables LoRA where the adapter has it and loads its factors."""
    with np.load(path) as data:
        meta = json.loads(bytes(data["__meta__"]).decode())
        layers = named_layers(model)
        for name, spec in meta.items():
            if name not in layers:
                raise ValueError(f"Adapter layer {name!r} not in the model.")
            if not layers[name].lora_enabled:
                layers[name].enable_lora(spec["rank"],
                                         lora_alpha=spec["alpha"])
        variables = named_variables(model)
        for name in data.files:
            if name != "__meta__":
                variables[name].assign(data[name])
    return model


def _strip_lora(config):
    if isinstance(config, dict):
        return {k: _strip_lora(v) for k, v in config.items()
                if k not in ("lora_rank", "lora_alpha")}
    if isinstance(config, list):
        return [_strip_lora(v) for v in config]
    return config


def merge_lora(model):
    """A new model without LoRA whose kernels are `kernel + scale·A@B`.

    The merged model has the base architecture (exportable, quantizable)
    and gives the outputs of the LoRA model.
    """
    config = _strip_lora(keras.saving.serialize_keras_object(model))
    merged = keras.saving.deserialize_keras_object(config)
    old_layers = named_layers(model)
    effective = {}
    for name, layer in old_layers.items():
        if getattr(layer, "lora_enabled", False):
            for attribute in ("kernel", "embeddings"):
                if hasattr(layer, f"_{attribute}"):
                    effective[f"{name}/{attribute}"] = (
                        keras.ops.convert_to_numpy(getattr(layer, attribute))
                    )
    old_variables = named_variables(model)
    for name, variable in named_variables(merged).items():
        # Unique names agree between the two models (same config).
        value = effective.get(name)
        if value is None:
            value = keras.ops.convert_to_numpy(old_variables[name])
        variable.assign(value.astype(variable.dtype))
    return merged
