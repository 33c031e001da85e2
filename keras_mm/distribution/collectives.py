"""Cross-replica collectives used by the losses and the training step.

Under JAX SPMD (`keras.distribution`) the batch a loss sees is already the
global batch, so gathering is the identity; under `tf.distribute` and
torch's process groups each replica sees its shard and must all-gather
(with gradients) to use every negative of the global batch. A backend
whose replicas see shards has a `collectives` module
(`keras_mm/backend/<name>/collectives.py`).
"""

from keras_mm import backend


def _collectives():
    return backend.native("collectives")


def gather_global_batch(x):
    """Concatenates `x` `(local_batch, ...)` across replicas, keeping grads.

    Inside a `tf.distribute` replica context with more than one replica,
    or in a torch process group of several processes, it
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

    On torch the identity: gradients are averaged across processes there.

    A loss computed on the gathered global batch is the same on every
    replica; Keras' TensorFlow optimizer sums replica gradients and its loss
    tracker multiplies by the replica count, so a `compute_loss` override
    must return `scale_loss_for_replicas(loss)` (Keras' own `compute_loss`
    does the same scaling). Identity elsewhere.
    """
    native = _collectives()
    return loss if native is None else native.scale_loss_for_replicas(loss)


def replica_info():
    """`(replica_id, num_replicas)`: `(0, 1)` outside `tf.distribute` and
    torch process groups."""
    native = _collectives()
    return (0, 1) if native is None else native.replica_info()


def process_shard():
    """`(index, count)`: this process feeds part `index` of `count` equal
    parts of every global batch.

    `(rank, world_size)` in a torch process group; `(0, 1)` elsewhere,
    where the backend splits the batch itself (JAX, `tf.distribute`).
    Process 0 is the one that writes checkpoints.

    Example:
    ```python
    index, count = keras_mm.distribution.process_shard()
    local = global_batch[index * len(global_batch) // count:]
    ```
    """
    native = _collectives()
    shard = getattr(native, "process_shard", None)
    return (0, 1) if shard is None else shard()


def synchronize_model(model):
    """Makes a compiled `model`'s updates those of one process on the
    global batch: every process starts from process 0's weights and the
    optimizer averages each step's gradients across processes (as DDP
    does). Called by `compile` of every keras_mm task; a no-op outside a
    torch process group of several processes.
    """
    native = _collectives()
    synchronize = getattr(native, "synchronize_model", None)
    if synchronize is not None:
        synchronize(model)
