"""One process of a multi-process job started by `keras-mm launch`.

Trains the tiny CLIP data-parallel over every process's devices for 3 steps
on a `tf.data.Dataset` (multi-process JAX refuses numpy input) and writes
its final weights to OUT/weights_<process id>.npz. JAX: keras.distribution;
TensorFlow: MultiWorkerMirroredStrategy.
"""

import json
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from keras_mm.distribution import configure_distribution

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_training import tiny_data  # noqa: E402
from tiny_training import tiny_model  # noqa: E402


def main(out_dir):
    # Joins the job from the environment that `keras-mm launch` sets.
    strategy = configure_distribution("data")
    model = tiny_model()
    initial = [np.asarray(w) for w in model.get_weights()]
    data = tiny_data(n=24)
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(8)  # global
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(dataset, epochs=1, shuffle=False, verbose=0)
    pid = int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    if keras.config.backend() == "jax":
        import jax

        devices = dict(process_count=jax.process_count(),
                       devices=jax.device_count(),
                       local_devices=jax.local_device_count())
    else:
        cluster = strategy.cluster_resolver.cluster_spec()
        devices = dict(process_count=cluster.num_tasks("worker"),
                       devices=strategy.num_replicas_in_sync,
                       local_devices=1)
    weights = [np.asarray(w) for w in model.get_weights()]
    np.savez(os.path.join(out_dir, f"weights_{pid}.npz"), *weights)
    with open(os.path.join(out_dir, f"info_{pid}.json"), "w") as f:
        json.dump({
            **devices,
            "loss": history.history["loss"],
            "steps": int(model.optimizer.iterations.numpy()),
            "changed": any(not np.array_equal(a, b)
                           for a, b in zip(initial, weights)),
        }, f)


if __name__ == "__main__":
    main(sys.argv[1])
