"""`configure_distribution(kind, mesh)`: one call that sets up data or model
parallel training on the current backend, and multi-process start-up.

- JAX: `keras.distribution` (`DataParallel`, `ModelParallel` + the encoders'
  layout maps), multi-process through `keras.distribution.initialize`.
- TensorFlow: `tf.distribute.MirroredStrategy` (one host) or
  `MultiWorkerMirroredStrategy` (`$TF_CONFIG` with several workers); data
  parallel only.
- PyTorch: not supported (a clear error).
"""

import json
import os

import keras

from keras_mm.distribution.layout_maps import get_layout_map

KINDS = ("none", "data", "model")
SUPPORTED = {"jax": ("none", "data", "model"),
             "tensorflow": ("none", "data"),
             "torch": ("none",)}
ENV_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
ENV_NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
ENV_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
_initialized = []


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
    pid = int(pid)
    backend = keras.config.backend()
    if backend == "jax":
        if not _initialized:
            keras.distribution.initialize(address, count, pid)
            _initialized.append((address, count, pid))
    elif backend == "tensorflow":
        if not env.get("TF_CONFIG"):
            workers = address.split(",")
            if len(workers) != count:
                raise ValueError(
                    f"TensorFlow needs every worker's host:port in "
                    f"${ENV_ADDRESSES} ({count} expected). Received: "
                    f"{address!r}"
                )
            env["TF_CONFIG"] = json.dumps({
                "cluster": {"worker": workers},
                "task": {"type": "worker", "index": pid},
            })
    else:
        raise ValueError(_unsupported(backend, "multi-process"))
    return count


def _unsupported(backend, kind):
    return (
        f"distribution {kind!r} is not supported on the {backend} backend. "
        "Supported: jax (data, model, multi-process), tensorflow (data, "
        "multi-worker); use KERAS_BACKEND=jax or tensorflow"
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
        `tf.distribute.Strategy` (TensorFlow), or None for `"none"`.

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
    backend = keras.config.backend()
    if kind not in SUPPORTED.get(backend, ("none",)):
        raise ValueError(_unsupported(backend, kind))
    if backend == "tensorflow":
        from keras_mm.distribution import tf_backend

        if kind == "none":
            tf_backend.set_strategy(None)
            return None
        if shape is not None and len(shape) != 1:
            raise ValueError(
                "tensorflow data parallel takes a 1-D mesh such as '2'. "
                f"Received: mesh={mesh!r}"
            )
        initialize_multi_process()
        strategy = tf_backend.make_strategy(shape[0] if shape else None)
        tf_backend.set_strategy(strategy)
        return strategy
    if kind == "none":
        if backend == "jax":
            keras.distribution.set_distribution(None)
        return None
    distribution = _jax_distribution(kind, shape)
    keras.distribution.set_distribution(distribution)
    return distribution


def _jax_distribution(kind, shape):
    processes = initialize_multi_process()
    devices = keras.distribution.list_devices()
    if shape is None:
        shape = (len(devices),) if kind == "data" else (1, len(devices))
    if kind == "model" and len(shape) == 1:
        shape = (1, shape[0])
    size = 1
    for n in shape:
        size *= n
    if size > len(devices) or (processes > 1 and size != len(devices)):
        raise ValueError(
            f"mesh {'x'.join(map(str, shape))} needs {size} devices; "
            f"{len(devices)} are visible (multi-process jobs use all)"
        )
    devices = devices[:size]
    if kind == "data":
        mesh = keras.distribution.DeviceMesh((size,), ["batch"], devices)
        return keras.distribution.DataParallel(device_mesh=mesh)
    mesh = keras.distribution.DeviceMesh(shape, ["batch", "model"], devices)
    return keras.distribution.ModelParallel(
        layout_map=get_layout_map(mesh), batch_dim_name="batch"
    )
