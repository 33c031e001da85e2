"""Activation checkpointing (rematerialisation) per tower."""

import keras

from keras_mm.training.freezing import _tower

MODES = ("full", "activations", "larger_than")


def enable_remat(model, towers=None, mode="full", layer_class_names=(
        "TransformerBlock",)):
    """Recomputes each transformer block of the towers in the backward pass.

    Keras records a `keras.RematScope` at layer construction; this sets the
    same remat mode on already built blocks, so towers built elsewhere can
    be checkpointed. On TensorFlow only `mode="activations"` works inside a
    compiled `fit` (KERAS_NOTES), so other modes fall back to it there.

    Returns the list of rematerialised layer names.

    Example:
    ```python
    keras_mm.training.enable_remat(model, towers=["image"])
    ```
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}. Received: {mode!r}")
    if keras.config.backend() == "tensorflow":
        mode = "activations"
    towers = list(model.encoders) if towers is None else list(towers)
    names = []
    for modality in towers:
        tower = _tower(model, modality)
        for layer in tower._flatten_layers(include_self=False):
            if type(layer).__name__ in layer_class_names:
                targets = [layer]
                if mode == "activations":  # Only layers with an activation.
                    targets = list(layer._flatten_layers(include_self=True))
                for target in targets:
                    target._remat_mode = keras.RematScope(mode=mode)
                names.append(f"{tower.name}/{layer.name}")
    return names
