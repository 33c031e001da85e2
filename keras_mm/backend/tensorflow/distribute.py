"""`tf.distribute` strategies for `keras_mm.distribution`: data parallel
on one host (`MirroredStrategy`) or several (`MultiWorkerMirroredStrategy`,
`$TF_CONFIG`).
"""

import json
import os

import tensorflow as tf


def num_workers_from_tf_config():
    """Number of workers in `$TF_CONFIG` (1 when unset)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    return len(config.get("cluster", {}).get("worker", [])) or 1


class _InputSafeReduce:
    """`reduce` that also takes nested and non-float inputs.

    Keras' TF trainer builds the model by `strategy.reduce("MEAN", ...)` on
    one distributed input batch: that fails on a bool tensor (a padding
    mask) and, under MultiWorkerMirroredStrategy, on any dict of inputs;
    its metric logs then `reduce("MEAN", scalar, axis=0)`, which fails on
    a scalar. Each leaf is reduced on its own; a non-float leaf takes the
    first local replica's value (only its shape and dtype matter there); a
    scalar is reduced across replicas only.
    """

    def reduce(self, reduce_op, value, axis=None):
        def reduce_leaf(leaf):
            first = self.experimental_local_results(leaf)[0]
            dtype = getattr(first, "dtype", None)
            if dtype is not None and not dtype.is_floating:
                return first
            leaf_axis = None if len(getattr(first, "shape", ())) == 0 else axis
            return super(_InputSafeReduce, self).reduce(
                reduce_op, leaf, leaf_axis
            )

        return tf.nest.map_structure(reduce_leaf, value)


class _MirroredStrategy(_InputSafeReduce, tf.distribute.MirroredStrategy):
    pass


class _MultiWorkerMirroredStrategy(
    _InputSafeReduce, tf.distribute.MultiWorkerMirroredStrategy
):
    pass


_STRATEGIES = {}


def make_strategy(num_devices=None):
    """MultiWorkerMirroredStrategy when `$TF_CONFIG` names several workers,
    else MirroredStrategy over the first `num_devices` local devices.

    One strategy per setting and process: two strategies' collective ops
    in one program can collide (shape mismatches in the all-reduce).
    """
    key = (os.environ.get("TF_CONFIG"), num_devices)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _new_strategy(num_devices)
    return _STRATEGIES[key]


def _new_strategy(num_devices):
    if num_workers_from_tf_config() > 1:
        return _MultiWorkerMirroredStrategy()
    devices = [d.name for d in tf.config.list_logical_devices("GPU")]
    if not devices:
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if num_devices is not None:
        if num_devices > len(devices):
            raise ValueError(
                f"mesh asks for {num_devices} devices but TensorFlow sees "
                f"{len(devices)}: {devices}"
            )
        devices = devices[:num_devices]
    return _MirroredStrategy(devices)


def set_strategy(strategy):
    """Makes `strategy` the default, as if its scope were entered for good.

    Keras models record `tf.distribute.get_strategy()` when they are built,
    so this must run before the model is created.
    """
    tf.distribute.experimental_set_strategy(strategy)


SUPPORTED_KINDS = ("none", "data")


def join_processes(addresses, count, process_id):
    """Writes `$TF_CONFIG` for worker `process_id` unless already set.

    `addresses` is the comma-separated `host:port` of every worker; the
    strategy `configure` builds afterwards reads it.
    """
    if os.environ.get("TF_CONFIG"):
        return
    workers = addresses.split(",")
    if len(workers) != count:
        raise ValueError(
            f"TensorFlow needs every worker's host:port in the job "
            f"addresses ({count} expected). Received: {addresses!r}"
        )
    os.environ["TF_CONFIG"] = json.dumps({
        "cluster": {"worker": workers},
        "task": {"type": "worker", "index": process_id},
    })


def configure(kind, shape, initialize, layout_map):
    """Sets (and returns) the strategy for `kind`; None for `"none"`.

    `initialize` joins the multi-process job first, if there is one;
    `layout_map` is unused (no model parallelism here).
    """
    del layout_map
    if kind == "none":
        set_strategy(None)
        return None
    if shape is not None and len(shape) != 1:
        raise ValueError(
            "tensorflow data parallel takes a 1-D mesh such as '2'. "
            f"Received: mesh={'x'.join(map(str, shape))!r}"
        )
    initialize()
    strategy = make_strategy(shape[0] if shape else None)
    set_strategy(strategy)
    return strategy
