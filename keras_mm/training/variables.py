"""Unique names for the layers and variables of a model.

`variable.path` is not unique across towers (both towers hold
`block_0/qkv/kernel`), so names here are prefixed with the top-level
sublayer that owns them: `image_encoder/block_0/qkv/kernel`.
"""

from keras_mm.backend import keras_compat


def named_layers(model):
    """`{unique_name: layer}` for every layer under `model`, in order."""
    named = {}
    for top in keras_compat.flatten_layers(model, include_self=False,
                                           recursive=False):
        for layer in keras_compat.flatten_layers(top):
            if layer is top:
                name = top.name
            else:
                name = f"{top.name}/{getattr(layer, 'path', None) or layer.name}"
            named.setdefault(name, layer)
    return named


def named_variables(model):
    """`{unique_name: variable}` for every variable of `model`, in order."""
    named = {}
    seen = set()
    for top in keras_compat.flatten_layers(model, include_self=False,
                                           recursive=False):
        for variable in top.weights:
            if id(variable) in seen:
                continue
            seen.add(id(variable))
            name = f"{top.name}/{variable.path}"
            if name in named:  # Rare clash: keep names unique.
                name = f"{name}#{len(named)}"
            named[name] = variable
    for variable in model.weights:  # Variables owned by the model itself.
        if id(variable) not in seen:
            seen.add(id(variable))
            named[f"{model.name}/{variable.path}"] = variable
    return named
