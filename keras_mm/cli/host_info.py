"""The host's CPU and GPUs as `keras-mm doctor` and the first line of every
command describe them (from /proc and `nvidia-smi`, no framework import).

Example:
```python
from keras_mm.cli.host_info import cpu_info

cpu_info()["features"]  # e.g. ['AVX2', 'AVX-512', 'AVX-512 VNNI', 'AMX']
```
"""

import os
import shutil
import subprocess

from keras_mm.host_cores import usable_cores

# /proc/cpuinfo flag -> the name the docs and benchmarks use, in the order
# they matter for matmuls.
CPU_FEATURES = (
    ("avx2", "AVX2"),
    ("fma", "FMA"),
    ("avx512f", "AVX-512"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx_vnni", "AVX-VNNI"),
    ("avx512_bf16", "AVX-512 BF16"),
    ("avx512_fp16", "AVX-512 FP16"),
    ("amx_tile", "AMX"),
    ("amx_bf16", "AMX-BF16"),
    ("amx_int8", "AMX-INT8"),
    ("neon", "NEON"),
    ("asimd", "NEON"),
    ("sve", "SVE"),
)


def _cpuinfo(path="/proc/cpuinfo"):
    """`(model name, set of flags)` of the first CPU listed."""
    model, flags = None, set()
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model is None:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def cpu_info(path="/proc/cpuinfo"):
    """`{"model", "cores", "features"}`: the CPU model name, the usable
    cores and the matmul-relevant instruction sets (`CPU_FEATURES`)."""
    model, flags = _cpuinfo(path)
    features = []
    for flag, name in CPU_FEATURES:
        if flag in flags and name not in features:
            features.append(name)
    return {"model": model or "unknown CPU", "cores": usable_cores(),
            "features": features}


def nvidia_smi_gpus(timeout=10):
    """`["<index>: <name>, <memory>, driver <version>", ...]` from
    `nvidia-smi`; an empty list when it is missing or fails."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,name,memory.total,"
             "driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:
        return []
    gpus = []
    for line in result.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4:
            gpus.append(f"{parts[0]}: {parts[1]}, {parts[2]}, driver "
                        f"{parts[3]}")
    return gpus
