"""Host arrays into jax variables without extra copies."""

import jax


def assignable(values):
    """An aligned contiguous NumPy array as what `Variable.assign` takes.

    Keras' jax conversion (`jnp.asarray`) always copies, while
    `jax.device_put` aliases an aligned host array on CPU: a full-size
    checkpoint then holds the model plus about one tensor.
    """
    return jax.device_put(values)


def wrap_host_zeros(values):
    """NumPy zeros whose pages were never written, as a jax array over the
    same memory (no copy on CPU), for `random_init_skipped`."""
    return jax.device_put(values)
