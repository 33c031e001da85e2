"""Freezing towers, blocks or layers, and counting parameters."""

import re

import numpy as np

from keras_mm.backend import keras_compat
from keras_mm.training.variables import named_layers

BLOCK = re.compile(r"block_(\d+)$")


def _tower(model, modality):
    encoders = getattr(model, "encoders", None)
    if not encoders or modality not in encoders:
        raise ValueError(
            f"Unknown tower {modality!r}. Received a model with towers "
            f"{sorted(encoders or {})}"
        )
    return encoders[modality]


def freeze_tower(model, modality, unlocked_blocks=0, freeze_projection=False):
    """Freezes one tower, optionally leaving its top blocks trainable.

    As open_clip's `--lock-image --lock-image-unlocked-groups`: the top
    `unlocked_blocks` transformer blocks and the final norm stay trainable.

    Args:
        model: a model with an `encoders` dict (e.g. `ContrastiveModel`).
        modality: str. The tower, e.g. `"image"`.
        unlocked_blocks: int. Number of top blocks left trainable.
        freeze_projection: bool. Also freeze `<modality>_projection`.

    Example:
    ```python
    keras_mm.training.freeze_tower(model, "image", unlocked_blocks=1)
    ```
    """
    tower = _tower(model, modality)
    tower.trainable = False
    if unlocked_blocks:
        blocks = sorted(
            (int(BLOCK.match(layer.name).group(1)), layer)
            for layer in keras_compat.flatten_layers(tower,
                                                     include_self=False)
            if BLOCK.match(layer.name)
        )
        unlocked = [layer for _, layer in blocks[-unlocked_blocks:]]
        if unlocked:
            tower.trainable = True
            for layer in keras_compat.flatten_layers(
                    tower, include_self=False, recursive=False):
                layer.trainable = layer in unlocked or layer.name in (
                    "final_norm", "pooling")
    projections = getattr(model, "projections", {})
    if freeze_projection and modality in projections:
        projections[modality].trainable = False


def freeze_by_pattern(model, patterns, trainable=False):
    """Sets `trainable` on every layer whose unique name matches a regex.

    Names look like `image_encoder/block_0/qkv` (see `named_layers`).
    Returns the list of matched names.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    matched = []
    for name, layer in named_layers(model).items():
        if any(re.search(p, name) for p in patterns):
            layer.trainable = trainable
            matched.append(name)
    if not matched:
        raise ValueError(f"No layer matches {patterns}.")
    return matched


def parameter_counts(model):
    """`{"trainable": int, "frozen": int}` parameter counts."""
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    total = sum(int(np.prod(v.shape)) for v in model.weights
                if v.dtype != "int64" and "seed" not in v.path)
    return {"trainable": trainable, "frozen": total - trainable}


def print_parameter_counts(model, print_fn=print):
    """Prints (and returns) the trainable/frozen counts before training."""
    counts = parameter_counts(model)
    print_fn(f"parameters: trainable {counts['trainable']:,}  "
             f"frozen {counts['frozen']:,}")
    return counts
