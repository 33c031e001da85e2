"""A checkpoint folder's tensors, read one at a time when asked for.

Loading a model by reading every tensor first holds the checkpoint twice
(the read copy and the model's variables). `LazyTensors` knows only the
names, dtypes and byte ranges up front (a safetensors file's JSON header)
and reads a tensor when it is indexed, so a loader that assigns and drops
each tensor in turn holds one tensor beyond the model.

safetensors files are read with plain `readinto` into a fresh array, not
through `safetensors.safe_open`: `safe_open` memory-maps the file, and the
pages it touches stay in the process' resident set until the handle
closes, while reading here holds only the largest tensor at a time. The
format is a little-endian u64 header length, the
JSON header, then the data.
"""

import collections.abc
import glob
import json
import os

import numpy as np

from keras_mm.dependency_error import MissingDependencyError

SAFETENSORS_GLOB = "*.safetensors"
TORCH_FILES = ("pytorch_model.bin",)

# safetensors dtype -> NumPy dtype as stored (little-endian). BF16 has no
# NumPy dtype: its bits are the top half of a float32's.
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}


# XLA and TensorFlow take a host array without copying it when it is
# contiguous and aligned to 64 bytes (jax: `jax.device_put`; TF:
# `convert_to_tensor`); NumPy's own allocations are only 16-byte aligned.
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array whose data is 64-byte aligned.

    Example:
    ```python
    aligned_empty((2, 3), "float32").ctypes.data % 64  # 0
    ```
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(size + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start:start + size].view(dtype).reshape(shape)


def aligned(values):
    """`values` itself when contiguous and aligned, else an aligned copy."""
    values = np.asarray(values)
    if values.flags.c_contiguous and values.ctypes.data % ALIGNMENT == 0:
        return values
    out = aligned_empty(values.shape, values.dtype)
    np.copyto(out, values)
    return out


def _as_float32(values, dtype):
    """Floating tensors become float32 (what every keras_mm loader
    assigns); others keep their dtype."""
    if dtype == "BF16":
        out = aligned_empty(values.shape, np.uint32)
        np.left_shift(values, 16, out=out, dtype=np.uint32)
        return out.view(np.float32)
    if values.dtype.kind == "f" and values.dtype != np.float32:
        return aligned(values.astype(np.float32))
    return values


def _safetensors_header(path):
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return header, 8 + size


def _read_safetensor(path, data_start, name, entry):
    dtype = entry["dtype"]
    if dtype not in _DTYPES:
        raise ValueError(
            f"{path}: tensor '{name}' has dtype {dtype}, which keras_mm "
            f"does not read (supported: {', '.join(_DTYPES)})")
    start, end = entry["data_offsets"]
    values = aligned_empty(entry["shape"], _DTYPES[dtype])
    if values.nbytes != end - start:
        raise ValueError(
            f"{path}: tensor '{name}' spans {end - start} bytes but its "
            f"shape {tuple(entry['shape'])} and dtype {dtype} need "
            f"{values.nbytes}")
    with open(path, "rb") as f:
        f.seek(data_start + start)
        read = f.readinto(values.reshape(-1).view(np.uint8))
    if read != values.nbytes:
        raise ValueError(f"{path} is truncated inside tensor '{name}'")
    return _as_float32(values, dtype)


def _torch_paths(folder):
    paths = [os.path.join(folder, name) for name in TORCH_FILES
             if os.path.exists(os.path.join(folder, name))]
    return paths + sorted(glob.glob(os.path.join(folder,
                                                 "pytorch_model-*.bin")))


def load_torch_file(path):
    """The object a PyTorch `.bin`/`.pt` file holds, read on the CPU with
    `weights_only=True`, memory-mapped where the file allows."""
    try:
        import torch
    except ImportError as error:
        raise MissingDependencyError(
            f"{path} is a PyTorch file; reading it needs torch (pip install "
            "torch), or convert it to safetensors") from error
    # mmap: tensors are paged in from the file as they are read, not
    # loaded all at once (old zip-less files cannot be mapped).
    try:
        return torch.load(path, map_location="cpu", weights_only=True,
                          mmap=True)
    except RuntimeError:
        return torch.load(path, map_location="cpu", weights_only=True)


class LazyTensors(collections.abc.Mapping):
    """`{name: np.ndarray}` over a checkpoint folder, read on access.

    Floating tensors come back as float32 (float16, bfloat16 and float64
    converted), others with their own dtype. Each `tensors[name]` reads
    the tensor again: keep the array, not the mapping, if it is needed
    twice. `tensors[name] = array` replaces one tensor (e.g. position
    embeddings interpolated to a new resolution) without touching the
    files.

    Args:
        folder: str. Holds `model.safetensors` (or every shard of a
            sharded checkpoint), else `pytorch_model.bin` (read through a
            memory map; needs torch).

    Example:
    ```python
    tensors = LazyTensors("clip-vit-base-patch32/")
    "logit_scale" in tensors  # True
    tensors["logit_scale"]  # array(4.6052, dtype=float32)
    ```
    """

    def __init__(self, folder):
        self.folder = folder
        self._overrides = {}
        self._safetensors = {}  # name -> (path, data start, header entry)
        self._torch = {}  # name -> state dict holding it
        paths = sorted(glob.glob(os.path.join(folder, SAFETENSORS_GLOB)))
        for path in paths:
            header, data_start = _safetensors_header(path)
            for name, entry in header.items():
                self._safetensors[name] = (path, data_start, entry)
        if paths:
            return
        torch_paths = _torch_paths(folder)
        if not torch_paths:
            raise FileNotFoundError(
                f"No weights in {folder}: expected model.safetensors or "
                "pytorch_model.bin")
        for path in torch_paths:
            state = load_torch_file(path)
            self._torch.update({name: state for name in state})

    def __getitem__(self, name):
        if name in self._overrides:
            return self._overrides[name]
        if name in self._safetensors:
            path, data_start, entry = self._safetensors[name]
            return _read_safetensor(path, data_start, name, entry)
        if name in self._torch:
            value = self._torch[name][name].detach()
            if value.is_floating_point():
                value = value.float()
            # A copy: the state's tensors live in the memory-mapped file.
            out = aligned_empty(tuple(value.shape), value.numpy().dtype)
            np.copyto(out, value.numpy())
            return out
        raise KeyError(name)

    def __setitem__(self, name, values):
        self._overrides[name] = values

    def __contains__(self, name):
        return (name in self._overrides or name in self._safetensors
                or name in self._torch)

    def __iter__(self):
        yield from self._overrides
        for name in (*self._safetensors, *self._torch):
            if name not in self._overrides:
                yield name

    def __len__(self):
        return len(set(self._overrides).union(self._safetensors,
                                               self._torch))


def open_tensors(folder):
    """The folder's tensors as a `LazyTensors` mapping (nothing read yet).

    Example:
    ```python
    tensors = open_tensors("bert_tiny/")
    sorted(tensors)[:2]
    ```
    """
    return LazyTensors(folder)
