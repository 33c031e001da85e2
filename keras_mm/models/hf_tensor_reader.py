"""Checked, name-by-name access to a Hugging Face checkpoint's tensors."""

import json
import os

import numpy as np

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)


def read_json(folder, filename):
    """`folder/filename` parsed; a missing file is named in the error."""
    path = os.path.join(folder, filename)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{folder} has no {filename}")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def hf_model_type(path):
    """`config.json`'s `model_type` in folder `path`, or None: not a
    folder, no config or an unreadable one (another format's folder, which
    a format's `detect` must not fail on)."""
    config = os.path.join(path, "config.json")
    if not (os.path.isdir(path) and os.path.exists(config)):
        return None
    try:
        model_type = read_json(path, "config.json").get("model_type")
    except (ValueError, AttributeError):
        return None
    return model_type


def tensor_prefix(tensors, suffix, default=None):
    """What precedes `suffix` in the first tensor name ending with it
    (e.g. `"vit."` in a task model's checkpoint), else `default`.

    Example:
    ```python
    tensor_prefix({"bert.pooler.weight": None}, "pooler.weight")  # "bert."
    ```
    """
    for name in tensors:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return default


class HFTensorReader:
    """Tensors of one model inside a checkpoint, under a name prefix.

    Every access states the shape the model needs, in the checkpoint's own
    layout, so a missing tensor or a wrong shape fails with one line that
    names the tensor (as the checkpoint spells it) and both shapes.

    Args:
        tensors: `{name: np.ndarray}` (`keras_mm.checkpoints.read_tensors`).
        prefix: str. Prepended to every name, e.g. `"model.encoder."`.
        source: str. The folder, for messages.

    Example:
    ```python
    reader = HFTensorReader(read_tensors(folder), "encoder.", folder)
    reader.assign_dense("layers.0.fc1", block.mlp_in)
    ```
    """

    def __init__(self, tensors, prefix, source):
        self.tensors = tensors
        self.prefix = prefix
        self.source = source

    def has(self, name):
        return self.prefix + name in self.tensors

    def get(self, name, shape):
        """The tensor `prefix + name`, which must have `shape`."""
        full_name = self.prefix + name
        shape = tuple(int(d) for d in shape)
        if full_name not in self.tensors:
            raise CheckpointMismatchError(
                f"{self.source} is missing tensor '{full_name}' (the model "
                f"expects shape {shape})", tensor_name=full_name)
        value = self.tensors[full_name]
        if tuple(value.shape) != shape:
            raise CheckpointMismatchError(
                f"{self.source}: tensor '{full_name}' has shape "
                f"{tuple(value.shape)} but the model expects {shape}",
                tensor_name=full_name)
        return value

    def assign_reversed(self, name, variable):
        """torch layouts reverse Keras' axes: a Linear weight is (out, in)
        for Dense's (in, out); a Conv1d weight (out, in, k) for Conv1D's
        (k, in, out)."""
        value = self.get(name, tuple(variable.shape)[::-1])
        variable.assign(np.transpose(value).astype(variable.dtype))

    def assign(self, name, variable):
        value = self.get(name, tuple(variable.shape))
        variable.assign(value.astype(variable.dtype))

    def assign_dense(self, name, layer):
        """A torch `Linear` (or `Conv1d`) `name` into a Keras layer."""
        self.assign_reversed(f"{name}.weight", layer.kernel)
        if layer.bias is not None:
            self.assign(f"{name}.bias", layer.bias)

    def assign_norm(self, name, layer):
        """A torch `LayerNorm` or `GroupNorm` into a Keras norm layer."""
        self.assign(f"{name}.weight", layer.gamma)
        self.assign(f"{name}.bias", layer.beta)

    def assign_fused_qkv(self, name, layer, hidden_dim, key_bias=True):
        """Separate `q_proj`/`k_proj`/`v_proj` into one `Dense(3 * D)`.

        Whisper's `k_proj` has no bias (`key_bias=False`): keys then get a
        zero bias, which is the same function.
        """
        square, vector = (hidden_dim, hidden_dim), (hidden_dim,)
        kernels, biases = [], []
        for part in ("q_proj", "k_proj", "v_proj"):
            kernels.append(self.get(f"{name}.{part}.weight", square).T)
            if part == "k_proj" and not key_bias:
                biases.append(np.zeros(vector, "float32"))
            else:
                biases.append(self.get(f"{name}.{part}.bias", vector))
        layer.kernel.assign(np.concatenate(kernels, axis=1).astype(
            layer.kernel.dtype))  # (D, 3D): q, k, v columns
        layer.bias.assign(np.concatenate(biases).astype(layer.bias.dtype))
