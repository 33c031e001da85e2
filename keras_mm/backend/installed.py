"""Which backends are installed, which the command line prefers, and the
device each will run on, read without importing any framework.

The `keras-mm` command picks its default backend here (`fastest_installed`)
and names the device in its first line (`expected_device`); `keras-mm
doctor` asks each framework itself (`DEVICE_PROBES`, run in a subprocess
per backend, since a process holds one Keras backend).

Example:
```python
from keras_mm.backend import installed

installed.fastest_installed()  # "torch" where torch is installed
installed.expected_device("torch")  # "cpu" without a CUDA build and GPU
```
"""

import glob
import importlib.util

# Fastest first for the command line's jobs: torch leads every CPU training
# and inference benchmark (benchmarks/README.md); jax and TensorFlow trade
# places, and jax compiles fewer seconds at start-up.
FASTEST_FIRST = ("torch", "jax", "tensorflow")

# Distribution names, where they differ from the module.
_DISTRIBUTIONS = {"jax": ("jax",), "torch": ("torch",),
                  "tensorflow": ("tensorflow", "tensorflow-cpu",
                                 "tf-nightly")}
# Modules present only in CUDA builds of jax (its GPU plugins).
_JAX_CUDA_PLUGINS = ("jax_cuda12_plugin", "jax_cuda13_plugin",
                     "jax_plugins.xla_cuda12", "jax_plugins.xla_cuda13")


def _has_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False  # A parent package is missing.


def version(package):
    """The installed version of `package` (a backend, keras, numpy...), or
    None when it is not installed."""
    # Imported here: it is slow to import, and most commands never ask.
    import importlib.metadata

    for name in _DISTRIBUTIONS.get(package, (package,)):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def installed_backends():
    """The Keras backends whose framework is installed, fastest first."""
    return [name for name in FASTEST_FIRST if _has_module(name)]


def fastest_installed():
    """The command line's default backend: the first installed of
    `FASTEST_FIRST`; "tensorflow" (Keras' own default) if none is."""
    found = installed_backends()
    return found[0] if found else "tensorflow"


def nvidia_gpus():
    """Names of the NVIDIA GPUs the driver lists (from /proc, instant; an
    empty list without a driver)."""
    names = []
    for path in sorted(glob.glob("/proc/driver/nvidia/gpus/*/information")):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("Model:"):
                        names.append(line.split(":", 1)[1].strip())
        except OSError:
            continue
    return names


def has_cuda_build(backend):
    """Whether `backend`'s installed framework can run on an NVIDIA GPU, by
    its wheel (torch's `+cpu` builds cannot; jax needs its CUDA plugin;
    TensorFlow needs the CUDA libraries of its `and-cuda` extra)."""
    if backend == "torch":
        found = version("torch")
        return found is not None and "+cpu" not in found
    if backend == "jax":
        return any(_has_module(name) for name in _JAX_CUDA_PLUGINS)
    if backend == "tensorflow":
        return _has_module("nvidia.cudnn")
    return False


def expected_device(backend):
    """"cuda:0 (<GPU name>)" when a GPU is present and `backend`'s build
    runs on it, else "cpu". A guess from the files installed; `keras-mm
    doctor` asks the framework."""
    gpus = nvidia_gpus()
    if gpus and has_cuda_build(backend):
        more = f" and {len(gpus) - 1} more" if len(gpus) > 1 else ""
        return f"cuda:0 ({gpus[0]}{more})"
    return "cpu"


# Python run in a subprocess with KERAS_BACKEND set: prints the devices the
# framework sees, one per line.
DEVICE_PROBES = {
    "torch": (
        "import torch\n"
        "if torch.cuda.is_available():\n"
        "    for i in range(torch.cuda.device_count()):\n"
        "        print(f'cuda:{i} ({torch.cuda.get_device_name(i)})')\n"
        "else:\n"
        "    print('cpu')\n"),
    "jax": (
        "import jax\n"
        "for d in jax.devices():\n"
        "    print(f'{d.platform}:{d.id} ({d.device_kind})')\n"),
    "tensorflow": (
        "import tensorflow as tf\n"
        "gpus = tf.config.list_physical_devices('GPU')\n"
        "for d in gpus:\n"
        "    details = tf.config.experimental.get_device_details(d)\n"
        "    print(f\"{d.name} ({details.get('device_name', 'GPU')})\")\n"
        "if not gpus:\n"
        "    print('cpu')\n"),
}
