"""`keras.distribution` set-up for `keras_mm.distribution` on JAX: data and
model parallel (the encoders' layout maps), multi-process."""

import keras

SUPPORTED_KINDS = ("none", "data", "model")
_joined = []


def join_processes(addresses, count, process_id):
    """`keras.distribution.initialize` once per process (before any JAX
    computation)."""
    if not _joined:
        keras.distribution.initialize(addresses, count, process_id)
        _joined.append((addresses, count, process_id))


def configure(kind, shape, initialize, layout_map):
    """Sets (and returns) the `keras.distribution` for `kind`.

    `initialize` joins the multi-process job first and returns the number
    of processes; `layout_map(device_mesh)` gives the `LayoutMap` of model
    parallelism.
    """
    if kind == "none":
        keras.distribution.set_distribution(None)
        return None
    distribution = _distribution(kind, shape, initialize(), layout_map)
    keras.distribution.set_distribution(distribution)
    return distribution


def _distribution(kind, shape, processes, layout_map):
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
        layout_map=layout_map(mesh), batch_dim_name="batch"
    )
