"""Activations that pretrained checkpoints name and Keras does not.

Layers take them by name (`activation="quick_gelu"`) and resolve the name
with `get` when they build, so their configs hold plain strings; the
functions are also registered, so a Keras `Dense` given one directly saves
and reloads on any backend.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_mm")
def quick_gelu(x):
    """`x * sigmoid(1.702 x)`: OpenAI CLIP's GELU approximation.

    Example:
    ```python
    keras_mm.layers.activations.quick_gelu(np.zeros((2,), "float32"))
    ```
    """
    return x * ops.sigmoid(1.702 * x)


@keras.saving.register_keras_serializable(package="keras_mm")
def gelu_tanh(x):
    """GELU with the tanh approximation (SigLIP's `gelu_pytorch_tanh`).

    Example:
    ```python
    keras_mm.layers.activations.gelu_tanh(np.zeros((2,), "float32"))
    ```
    """
    return keras.activations.gelu(x, approximate=True)


# Activation names in Hugging Face and open_clip configs -> Keras.
CHECKPOINT_ACTIVATIONS = {
    "gelu": "gelu",  # exact, as torch's default
    "quick_gelu": "quick_gelu",
    "gelu_pytorch_tanh": "gelu_tanh",
    "gelu_new": "gelu_tanh",
    "gelu_fast": "gelu_tanh",
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
}


def checkpoint_activation(name, source):
    """The Keras activation for a checkpoint's `hidden_act` name."""
    if name not in CHECKPOINT_ACTIVATIONS:
        raise ValueError(
            f"{source}: activation {name!r} is not supported; supported: "
            + ", ".join(sorted(CHECKPOINT_ACTIVATIONS))
        )
    return CHECKPOINT_ACTIVATIONS[name]


_OWN = {"quick_gelu": quick_gelu, "gelu_tanh": gelu_tanh}


def get(name):
    """A Keras activation from a name, keras_mm's own names included."""
    if isinstance(name, str) and name in _OWN:
        return _OWN[name]
    return keras.activations.get(name)
