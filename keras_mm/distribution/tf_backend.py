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
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return None
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync < 2:
        return None
    return context


def replica_info():
    """`(replica_id, num_replicas)` of the calling replica (`(0, 1)` if none)."""
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


def make_strategy(num_devices=None):
    """MultiWorkerMirroredStrategy when `$TF_CONFIG` names several workers,
    else MirroredStrategy over the first `num_devices` local devices."""
    if num_workers_from_tf_config() > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
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
    return tf.distribute.MirroredStrategy(devices)


def set_strategy(strategy):
    """Makes `strategy` the default, as if its scope were entered for good.

    Keras models record `tf.distribute.get_strategy()` when they are built,
    so this must run before the model is created.
    """
    tf.distribute.experimental_set_strategy(strategy)
