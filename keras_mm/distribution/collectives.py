"""Cross-replica collectives used by the losses.

Under JAX SPMD (`keras.distribution`) the batch a loss sees is already the
global batch, so gathering is the identity; under `tf.distribute` each
replica sees its shard and must all-gather (with gradients) to use every
negative of the global batch. A backend whose replicas see shards has a
`collectives` module (`keras_mm/backend/tensorflow/collectives.py`).
"""

from keras_mm import backend


def _collectives():
    return backend.native("collectives")


def gather_global_batch(x):
    """Concatenates `x` `(local_batch, ...)` across replicas, keeping grads.

    Inside a `tf.distribute` replica context with more than one replica it
    returns `(global_batch, ...)`, replica 0's rows first; the gradient of
    each replica's shard flows back to that replica (open_clip's
    gather-with-grad). Everywhere else (JAX SPMD, one device, no strategy)
    it returns `x` unchanged.

    Example:
    ```python
    image = keras_mm.distribution.gather_global_batch(image_embeddings)
    text = keras_mm.distribution.gather_global_batch(text_embeddings)
    loss = keras_mm.losses.clip_loss(image @ text.T)  # global negatives
    ```
    """
    native = _collectives()
    return x if native is None else native.all_gather_with_grad(x)


def scale_loss_for_replicas(loss):
    """Divides `loss` by the number of `tf.distribute` replicas in sync.

    A loss computed on the gathered global batch is the same on every
    replica; Keras' TensorFlow optimizer sums replica gradients and its loss
    tracker multiplies by the replica count, so a `compute_loss` override
    must return `scale_loss_for_replicas(loss)` (Keras' own `compute_loss`
    does the same scaling). Identity elsewhere.
    """
    native = _collectives()
    return loss if native is None else native.scale_loss_for_replicas(loss)


def replica_info():
    """`(replica_id, num_replicas)`: `(0, 1)` outside `tf.distribute`."""
    native = _collectives()
    return (0, 1) if native is None else native.replica_info()
