"""Activation checkpointing (rematerialisation) per tower."""

import keras

from keras_mm import backend
from keras_mm.backend import keras_compat
from keras_mm.training.freezing import _tower

MODES = ("full", "activations", "larger_than")


def enable_remat(model, towers=None, mode="full", layer_class_names=(
        "TransformerBlock",)):
    """Recomputes each transformer block of the towers in the backward pass.

    Keras records a `keras.RematScope` at layer construction; this works on
    already built towers instead. `mode="full"` wraps each block's `call`
    in `keras.remat` with its non-tensor arguments (e.g. `training`) bound
    statically (Keras' own full mode passes them to `jax.checkpoint`, which
    fails); other modes set the block's sublayers' remat mode. A backend
    may restrict the modes that work inside its compiled `fit`
    (`keras_mm/backend/<name>/remat.py`: TensorFlow keeps only
    `"activations"`).

    `keras.remat` is real on every backend: `jax.checkpoint` (jax),
    `torch.utils.checkpoint` (torch), `tf.recompute_grad` (tensorflow).
    On XLA:CPU (jax, or tensorflow with XLA), the default
    concurrency-optimised scheduler runs the recomputations early and
    keeps their results alive, which undoes the saving; set
    `XLA_FLAGS=--xla_cpu_enable_concurrency_optimized_scheduler=false`
    to get it (`benchmarks/memory.py`).

    Returns the list of rematerialised layer names.

    Example:
    ```python
    keras_mm.training.enable_remat(model, towers=["image"])
    ```
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}. Received: {mode!r}")
    native = backend.native("remat")
    if native is not None:
        mode = native.compiled_fit_mode(mode)
    towers = list(model.encoders) if towers is None else list(towers)
    names = []
    for modality in towers:
        tower = _tower(model, modality)
        for layer in keras_compat.flatten_layers(tower,
                                                  include_self=False):
            if type(layer).__name__ in layer_class_names:
                if mode == "full":
                    _wrap_call(layer)
                else:  # Layers with an activation (and others by size).
                    for target in keras_compat.flatten_layers(layer):
                        keras_compat.set_remat_mode(
                            target, keras.RematScope(mode=mode))
                names.append(f"{tower.name}/{layer.name}")
    return names


def _wrap_call(layer):
    original = layer.call

    def call(inputs, *args, **kwargs):
        # Tensors go through `keras.remat` positionally; flags stay static.
        keys = [k for k, v in kwargs.items()
                if v is not None and not isinstance(v, (bool, int, float,
                                                        str))]
        static = {k: v for k, v in kwargs.items() if k not in keys}

        def block(x, *tensors):
            return original(x, *args, **static, **dict(zip(keys, tensors)))

        return keras.remat(block)(inputs, *[kwargs[k] for k in keys])

    layer.call = call
