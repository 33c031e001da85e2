"""Reading the tensors of a local checkpoint folder into NumPy arrays."""

import glob
import os

import numpy as np

SAFETENSORS_GLOB = "*.safetensors"
TORCH_FILES = ("pytorch_model.bin",)


def read_tensors(folder):
    """Returns `{name: float32-or-int np.ndarray}` for a checkpoint folder.

    Safetensors files (`model.safetensors`, or every shard of a sharded
    checkpoint) are preferred; `pytorch_model.bin` is read when PyTorch is
    installed. Nothing is downloaded.
    """
    paths = sorted(glob.glob(os.path.join(folder, SAFETENSORS_GLOB)))
    tensors = {}
    if paths:
        try:
            from safetensors.numpy import load_file
        except ImportError as error:
            raise ImportError(
                "Reading .safetensors needs the `safetensors` package: "
                "pip install safetensors"
            ) from error
        for path in paths:
            tensors.update(load_file(path))
    else:
        torch_paths = [os.path.join(folder, name) for name in TORCH_FILES
                       if os.path.exists(os.path.join(folder, name))]
        torch_paths += sorted(
            glob.glob(os.path.join(folder, "pytorch_model-*.bin"))
        )
        if not torch_paths:
            raise FileNotFoundError(
                f"No weights in {folder}: expected model.safetensors or "
                "pytorch_model.bin"
            )
        try:
            import torch
        except ImportError as error:
            raise ImportError(
                f"{torch_paths[0]} is a PyTorch file; reading it needs "
                "torch (pip install torch), or convert it to safetensors"
            ) from error
        for path in torch_paths:
            state = torch.load(path, map_location="cpu", weights_only=True)
            for name, value in state.items():
                tensors[name] = value.detach().float().numpy() if (
                    value.is_floating_point()) else value.numpy()
    return {
        name: value.astype("float32") if value.dtype.kind == "f" else value
        for name, value in tensors.items()
    }
