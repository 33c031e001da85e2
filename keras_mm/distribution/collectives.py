"""Cross-replica collectives used by the losses.

Under JAX SPMD (`keras.distribution`) the batch a loss sees is already the
global batch, so gathering is the identity; under `tf.distribute` each
replica sees its shard and must all-gather (with gradients) to use every
negative of the global batch.
"""


def gather_global_batch(x):
    """Concatenates `x` `(local_batch, ...)` across replicas, keeping grads."""
    return x
