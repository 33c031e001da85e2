"""Checks that a Keras model can become a static-shape LiteRT graph."""

import keras


class ExportError(RuntimeError):
    """A model that cannot be exported; the message names the layer."""


def iter_layers(model):
    """Every layer of `model`, nested models included, depth first."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from iter_layers(layer)


def layer_names(model):
    return {model.name, *(layer.name for layer in iter_layers(model))}


def _dynamic_dims(shape):
    return [i for i, d in enumerate(shape) if i > 0 and d is None]


def check_static_shapes(model):
    """Raises `ExportError` naming the first layer with a dynamic dimension.

    Only the batch dimension may be unknown (it is fixed to 1 on export).
    """
    inputs = model.input if isinstance(model.input, dict) else {
        f"input_{i}": t for i, t in enumerate(keras.tree.flatten(model.input))
    }
    for name, tensor in inputs.items():
        dims = _dynamic_dims(tensor.shape)
        if dims:
            raise ExportError(
                f"Input layer '{name}' of '{model.name}' has a dynamic "
                f"dimension {dims} (shape {tuple(tensor.shape)}); LiteRT "
                "export needs static shapes apart from the batch."
            )
    for layer in iter_layers(model):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            outputs = keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):
            continue  # Shared or not-yet-called layers have no one output.
        for tensor in outputs:
            dims = _dynamic_dims(getattr(tensor, "shape", ()))
            if dims:
                raise ExportError(
                    f"Layer '{layer.name}' ({layer.__class__.__name__}) of "
                    f"'{model.name}' outputs a dynamic dimension {dims} "
                    f"(shape {tuple(tensor.shape)}); LiteRT export needs "
                    "static shapes apart from the batch."
                )
