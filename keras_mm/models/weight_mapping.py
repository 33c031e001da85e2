"""Which checkpoint tensors fill which Keras variables, in both directions.

A family describes its model as a list of `Entry`s: the checkpoint's names
for a variable and how the layouts differ (torch's `Linear` stores
`(out, in)`, a Keras `Dense` `(in, out)`; torch convolutions are OIHW,
Keras' HWIO; Hugging Face keeps q, k and v apart where keras_mm fuses
them). `assign` reads a checkpoint into a model and `export` writes the
model back out under the same names, so loading and saving cannot drift.
"""

import dataclasses

import numpy as np

from keras_mm import backend
from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.checkpoints.lazy_tensors import aligned
from keras_mm.checkpoints.lazy_tensors import aligned_empty

LAYOUTS = ("copy", "linear", "conv", "concat_linear", "concat")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One variable and the checkpoint tensor(s) it comes from.

    Attributes:
        names: tuple of str. One name, or three for `concat*` layouts
            (q, k, v in order). A `None` among them is an absent bias,
            read as zeros (Whisper's key projection) and never written.
        variable: the `keras.Variable`.
        layout: `"copy"` (same values; a reshape between equal sizes is
            allowed, e.g. a `(D,)` class token into `(1, 1, D)`),
            `"linear"` (transposed), `"conv"` (OIHW -> HWIO),
            `"concat_linear"` (each transposed, then joined on the output
            axis) or `"concat"` (joined on the last axis).
    """

    names: tuple
    variable: object
    layout: str = "copy"
    checkpoint_shape: tuple = None  # For `export`, where "copy" reshapes.


def dense(name, layer):
    """Entries of a torch `Linear` named `name` -> a Keras `Dense`."""
    entries = [Entry((f"{name}.weight",), layer.kernel, "linear")]
    if layer.bias is not None:
        entries.append(Entry((f"{name}.bias",), layer.bias))
    return entries


def layer_norm(name, layer):
    """Entries of a torch `LayerNorm` named `name`."""
    return [Entry((f"{name}.weight",), layer.gamma),
            Entry((f"{name}.bias",), layer.beta)]


def fused_qkv(names, layer, with_bias=True):
    """Separate q, k, v `Linear`s (`names`) -> one fused Keras `Dense`."""
    entries = [Entry(tuple(f"{n}.weight" for n in names), layer.kernel,
                     "concat_linear")]
    if with_bias:
        entries.append(Entry(tuple(f"{n}.bias" for n in names), layer.bias,
                             "concat"))
    return entries


# Rows and columns per block of `_transposed_into`: a 256x256 float32 tile
# (256 KiB) is read and written within the cache.
_BLOCK = 256


def _transposed_into(out, values):
    """Writes `values.T` into `out` tile by tile: faster than NumPy's
    one-pass strided copy of a large matrix, which misses the cache on
    every element of one side."""
    source = values.T
    rows, cols = source.shape
    for i in range(0, rows, _BLOCK):
        for j in range(0, cols, _BLOCK):
            out[i:i + _BLOCK, j:j + _BLOCK] = source[i:i + _BLOCK,
                                                    j:j + _BLOCK]
    return out


def _to_keras(values, layout, shape):
    """The checkpoint's tensor(s) in the variable's layout; a transposed
    or joined array is written once, into an aligned buffer that the
    backend takes without another copy."""
    if layout == "linear" and values.ndim == 2:
        values = _transposed_into(aligned_empty(values.shape[::-1],
                                                values.dtype), values)
    elif layout == "linear":
        values = values.T
    elif layout == "conv":
        values = np.transpose(values, (2, 3, 1, 0))
    elif layout == "concat_linear" and len(
            {(v.ndim, v.shape[-1]) for v in values}) == 1 \
            and values[0].ndim == 2:
        out = aligned_empty((values[0].shape[1],
                             sum(v.shape[0] for v in values)),
                            values[0].dtype)
        start = 0
        for v in values:
            _transposed_into(out[:, start:start + v.shape[0]], v)
            start += v.shape[0]
        values = out
    elif layout == "concat_linear":
        values = np.concatenate([v.T for v in values], axis=-1)
    elif layout == "concat":
        values = np.concatenate(values, axis=-1)
    if values.shape != shape and values.size == int(np.prod(shape)):
        values = values.reshape(shape)
    return values


def _shape_in_checkpoint(entry, shape):
    """What the checkpoint's tensor should look like, for messages."""
    if entry.layout == "linear":
        return shape[::-1]
    if entry.layout == "conv":
        return (shape[3], shape[2], shape[0], shape[1])
    if entry.layout.startswith("concat"):
        part = (shape[-1] // len(entry.names),)
        return part + shape[:-1][::-1] if entry.layout == "concat_linear" \
            else part
    return shape


def assign(entries, tensors, source, prefix=""):
    """Fills every entry's variable from `tensors` (`{name: np.ndarray}`,
    or a `keras_mm.checkpoints.lazy_tensors.LazyTensors`).

    Each entry reads its tensor(s), assigns and drops them before the next
    entry, so a lazy mapping is held in memory one entry at a time.

    Raises `CheckpointMismatchError` naming the first missing tensor, or
    the first whose shape does not fit, with both shapes.
    """
    for entry in entries:
        shape = tuple(entry.variable.shape)
        parts = []
        for name in entry.names:
            if name is None:
                parts.append(None)
                continue
            if prefix + name not in tensors:
                raise CheckpointMismatchError(
                    f"{source} is missing tensor '{prefix + name}' (the "
                    f"model expects shape "
                    f"{_shape_in_checkpoint(entry, shape)})",
                    tensor_name=prefix + name,
                )
            parts.append(np.asarray(tensors[prefix + name]))
        if any(p is None for p in parts):
            like = next(p for p in parts if p is not None)
            parts = [np.zeros_like(like) if p is None else p for p in parts]
        values = _to_keras(parts[0] if len(parts) == 1 else parts,
                           entry.layout, shape)
        if values.shape != shape:
            name = prefix + entry.names[0]
            found = parts[0].shape
            raise CheckpointMismatchError(
                f"{source}: tensor '{name}' has shape {tuple(found)} but "
                f"the model expects {_shape_in_checkpoint(entry, shape)}",
                tensor_name=name,
            )
        entry.variable.assign(_host_to_backend(
            values.astype(entry.variable.dtype, copy=False)))
        del parts, values


def _host_to_backend(values):
    """`values` for `Variable.assign`, without a second host copy (each
    backend's `assignable`)."""
    values = aligned(values)
    variables = backend.native("variables")
    return values if variables is None else variables.assignable(values)


def export(entries, prefix=""):
    """The model's values under the checkpoint's names and layouts."""
    import keras

    tensors = {}
    for entry in entries:
        # A LoRA-enabled Dense's `kernel` is already a tensor (the base
        # kernel plus the low-rank update): what gets written is merged.
        value = getattr(entry.variable, "value", entry.variable)
        values = np.asarray(keras.ops.convert_to_numpy(value), np.float32)
        if entry.layout == "linear":
            values = values.T
        elif entry.layout == "conv":
            values = np.transpose(values, (3, 2, 0, 1))
        if entry.layout.startswith("concat"):
            pieces = np.split(values, len(entry.names), axis=-1)
            for name, piece in zip(entry.names, pieces):
                if name is not None:
                    tensors[prefix + name] = _contiguous(
                        piece.T if entry.layout == "concat_linear" else piece)
            continue
        if entry.checkpoint_shape is not None:
            values = values.reshape(entry.checkpoint_shape)
        tensors[prefix + entry.names[0]] = _contiguous(values)
    return tensors


def _contiguous(values):
    # Not `np.ascontiguousarray`, which turns a scalar into shape (1,).
    return np.array(values, dtype=np.float32, order="C")


_separate_qkv = fused_qkv  # block_entries' keyword shadows the function


def block_entries(block, prefix, names, fused_qkv=False):
    """Checkpoint entries of one keras_mm `TransformerBlock`.

    Args:
        names: dict with the checkpoint's sub-names for `"q"`, `"k"`,
            `"v"` (or `"qkv"` when `fused_qkv`), `"out"`, `"norm1"`,
            `"norm2"`, `"fc1"`, `"fc2"`.
    """
    p = prefix
    if fused_qkv:
        entries = [Entry((f"{p}{names['qkv']}_weight",), block.qkv.kernel,
                         "linear"),
                   Entry((f"{p}{names['qkv']}_bias",), block.qkv.bias)]
    else:
        entries = _separate_qkv([p + names[k] for k in "qkv"], block.qkv)
    return (entries
            + dense(p + names["out"], block.attention_output)
            + layer_norm(p + names["norm1"], block.attention_norm)
            + dense(p + names["fc1"], block.mlp_in)
            + dense(p + names["fc2"], block.mlp_out)
            + layer_norm(p + names["norm2"], block.mlp_norm))


def towers_block_entries(towers, names):
    """`block_entries` of every block of each `(prefix, encoder)` in
    `towers`, block `i` named `{prefix}encoder.layers.{i}.` (Hugging Face's
    CLIP and SigLIP)."""
    return [entry
            for prefix, encoder in towers
            for i in range(encoder.num_layers)
            for entry in block_entries(encoder.get_layer(f"block_{i}"),
                                       f"{prefix}encoder.layers.{i}.", names)]
