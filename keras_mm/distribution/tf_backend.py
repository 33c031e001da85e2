"""Everything in keras_mm.distribution that touches TensorFlow directly.

Under `tf.distribute` each replica runs `train_step` on its shard of the
global batch. Two things make an in-batch contrastive loss equal to the
one-device loss there:

- `all_gather` of the embeddings, whose gradient (defined by TensorFlow)
  all-reduces the upstream gradient and hands each replica the slice of its
  own shard: open_clip's `--gather-with-grad`.
- scaling the per-replica loss by `1 / num_replicas`: every replica computes
  the same global loss and Keras' TensorFlow optimizer SUMS gradients across
  replicas, so the scaled losses add up to the single-device gradient (and
  Keras' loss tracker, which multiplies by `num_replicas`, reports the
  global loss).
"""

import json
import os

import tensorflow as tf


def _replica_context():
    """The replica context when more than one replica runs in sync."""
    if (not tf.distribute.has_strategy()
            or tf.distribute.in_cross_replica_context()):
        return None
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync < 2:
        return None
    return context


def replica_info():
    """`(replica_id, num_replicas)` of this replica; `(0, 1)` if none."""
    context = _replica_context()
    if context is None:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def all_gather_with_grad(x):
    """Concatenates `x` `(local_batch, ...)` over replicas on axis 0."""
    context = _replica_context()
    if context is None:
        return x
    return context.all_gather(x, axis=0)  # (global_batch, ...)


def scale_loss_for_replicas(loss):
    context = _replica_context()
    if context is None:
        return loss
    return loss * tf.cast(1.0 / context.num_replicas_in_sync, loss.dtype)


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
