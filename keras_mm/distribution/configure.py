"""`configure_distribution(kind, mesh)`: one call that sets up data or model
parallel training on the current backend, and multi-process start-up.

- JAX: `keras.distribution` (`DataParallel`, `ModelParallel` + the encoders'
  layout maps), multi-process through `keras.distribution.initialize`.
- TensorFlow: `tf.distribute.MirroredStrategy` (one host) or
  `MultiWorkerMirroredStrategy` (`$TF_CONFIG` with several workers); data
  parallel only.
- PyTorch: data parallel over processes (`torch.distributed`, gloo on
  CPU, NCCL on GPU, one process per device), joined from torchrun's
  variables or Keras' (`keras-mm launch` sets both).

Each backend's code is its `distribute` module
(`keras_mm/backend/<name>/distribute.py`); a backend without one supports
only `"none"`.
"""

import os

from keras_mm import backend
from keras_mm.distribution.layout_maps import get_layout_map

KINDS = ("none", "data", "model")
ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
ENV_NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


def parse_mesh(mesh):
    """`"8"` -> `(8,)`, `"4x2"` -> `(4, 2)`, `None` -> `None`."""
    if mesh is None or isinstance(mesh, tuple):
        return mesh
    try:
        shape = tuple(int(part) for part in str(mesh).lower().split("x"))
    except ValueError:
        shape = ()
    if not 1 <= len(shape) <= 2 or min(shape) < 1:
        raise ValueError(
            f"mesh must look like '8' or '4x2' (batch x model). "
            f"Received: mesh={mesh!r}"
        )
    return shape


def initialize_multi_process(coordinator_address=None, num_processes=None,
                             process_id=None):
    """Joins a multi-process job; a no-op for a single process.

    Each argument falls back on Keras' environment variables
    (`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `..._NUM_PROCESSES`,
    `..._PROCESS_ID`, which `keras-mm launch` sets). JAX: calls
    `keras.distribution.initialize` (before any JAX computation).
    TensorFlow: writes `$TF_CONFIG` from the comma-separated worker
    addresses unless it is already set; `configure_distribution("data")`
    then builds a `MultiWorkerMirroredStrategy`.

    Returns:
        The number of processes.

    Example:
    ```python
    # On each of 2 hosts (process_id 0 and 1):
    keras_mm.distribution.initialize_multi_process(
        "10.0.0.1:1234", num_processes=2, process_id=0)
    ```
    """
    env = os.environ
    address = coordinator_address or env.get(ENV_ADDRESSES)
    count = int(num_processes or env.get(ENV_NUM_PROCESSES) or 1)
    pid = process_id if process_id is not None else env.get(ENV_PROCESS_ID)
    if count <= 1:
        return 1
    if not address or pid is None:
        raise ValueError(
            f"A {count}-process job needs a coordinator address and a "
            f"process id (flags or ${ENV_ADDRESSES} / ${ENV_PROCESS_ID})."
        )
    native = backend.native("distribute")
    if native is None:
        raise ValueError(_unsupported(backend.name(), "multi-process"))
    native.join_processes(address, count, int(pid))
    return count


def _unsupported(backend_name, kind):
    return (
        f"distribution {kind!r} is not supported on the {backend_name} "
        "backend. "
        "Supported: jax (data, model, multi-process), tensorflow (data, "
        "multi-worker), torch (data, multi-process); for model "
        "parallelism use KERAS_BACKEND=jax"
    )


def configure_distribution(kind="none", mesh=None):
    """Sets the global distribution used by models built afterwards.

    Call it once, before building the model.

    Args:
        kind: str. `"none"`, `"data"` (replicate the model, split the batch)
            or `"model"` (JAX only: shard attention and MLP kernels on the
            `"model"` axis of a `batch x model` mesh).
        mesh: str or None. `"8"` (8 devices) or `"4x2"` (4-way batch,
            2-way model); default: every device (`data`) or `1 x all`
            (`model`).

    Returns:
        The `keras.distribution.Distribution` (JAX), the
        `tf.distribute.Strategy` (TensorFlow), a description of the
        process group with `rank` and `world_size` (torch), or None for
        `"none"`.

    Example:
    ```python
    keras_mm.distribution.configure_distribution("model", "4x2")
    model = keras_mm.models.clip.build_quickstart_clip(256, 64, 2, 2)  # sharded
    ```
    """
    if kind not in KINDS:
        raise ValueError(f"distribution must be one of {KINDS}. "
                         f"Received: {kind!r}")
    shape = parse_mesh(mesh)
    native = backend.native("distribute")
    supported = ("none",) if native is None else native.SUPPORTED_KINDS
    if kind not in supported:
        raise ValueError(_unsupported(backend.name(), kind))
    if native is None:
        return None
    return native.configure(kind, shape, initialize_multi_process,
                            get_layout_map)
