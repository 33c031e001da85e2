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
from keras_mm.distribution import tf_backend  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tiny_training import step_losses  # noqa: E402
from tiny_training import tiny_data  # noqa: E402
from tiny_training import tiny_model  # noqa: E402


def main():
    data = tiny_data()
    # Keras' TF trainer MEAN-reduces one distributed batch to build the
    # model symbolically, which fails on bool tensors: send the mask as int.
    data["padding_mask"] = data["padding_mask"].astype("int32")
    configure_distribution("none")
    reference = tiny_model()
    weights = reference.get_weights()
    result = {"single": step_losses(reference, data, weights)}
    strategy = configure_distribution("data", "2")
    result["replicas"] = strategy.num_replicas_in_sync
    result["global"] = step_losses(tiny_model(), data, weights)
    # Per-replica negatives only: what training gives without the gather.
    gather = tf_backend.all_gather_with_grad
    tf_backend.all_gather_with_grad = lambda x: x
    result["per_replica"] = step_losses(tiny_model(), data, weights)
    # The SigLIP loss over the gathered batch, one device vs mirrored.
    tf_backend.all_gather_with_grad = gather
    configure_distribution("none")
    reference = tiny_model("siglip")
    weights = reference.get_weights()
    result["siglip_single"] = step_losses(reference, data, weights)
    configure_distribution("data", "2")
    result["siglip_global"] = step_losses(tiny_model("siglip"), data, weights)
    configure_distribution("none")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
