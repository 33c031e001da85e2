"""Cross-replica collectives under `tf.distribute`.

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
