"""One device vs MirroredStrategy over 2 logical CPU devices (TensorFlow).

Prints JSON: the per-step losses of the single-device run, of the mirrored
run with the global-batch (gathered) loss, and of a mirrored run whose loss
only sees each replica's own negatives.
"""

import json
import sys

import tensorflow as tf

# Two logical CPUs must exist before TensorFlow initializes its devices.
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

from keras_mm.distribution import configure_distribution  # noqa: E402
from keras_mm.backend.tensorflow import collectives  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tiny_training import step_losses  # noqa: E402
from tiny_training import tiny_data  # noqa: E402
from tiny_training import tiny_model  # noqa: E402


def main():
    data = tiny_data()
    # One-device references first: one strategy serves every mirrored run.
    configure_distribution("none")
    result, weights = {}, {}
    for loss in ("clip", "siglip"):
        reference = tiny_model(loss)
        weights[loss] = reference.get_weights()
        result[f"{loss}_single"] = step_losses(reference, data, weights[loss])
    strategy = configure_distribution("data", "2")
    result["replicas"] = strategy.num_replicas_in_sync
    for loss in ("clip", "siglip"):
        result[f"{loss}_global"] = step_losses(
            tiny_model(loss), data, weights[loss])
    # Per-replica negatives only: what training gives without the gather.
    collectives.all_gather_with_grad = lambda x: x
    result["clip_per_replica"] = step_losses(
        tiny_model(), data, weights["clip"])
    configure_distribution("none")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
