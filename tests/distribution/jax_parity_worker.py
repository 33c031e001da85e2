"""One device vs DataParallel(8) vs ModelParallel(4x2) on 8 CPU devices.

Run with XLA_FLAGS=--xla_force_host_platform_device_count=8; prints JSON.
"""

import json
import sys

import keras

from keras_mm.distribution import configure_distribution

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tiny_training import step_losses  # noqa: E402
from tiny_training import tiny_data  # noqa: E402
from tiny_training import tiny_model  # noqa: E402


def sharding_of(model, path):
    variable = next(v for v in model.weights if v.path == path)
    sharding = variable.value.sharding
    return {
        "spec": [a for a in sharding.spec],
        "shard_shape": list(variable.value.addressable_shards[0].data.shape),
        "shape": list(variable.shape),
    }


def main():
    data = tiny_data()
    result = {"devices": len(keras.distribution.list_devices())}
    configure_distribution("none")
    reference = tiny_model()
    weights = reference.get_weights()
    result["single"] = step_losses(reference, data, weights)
    for kind, mesh in (("data", "8"), ("model", "4x2")):
        configure_distribution(kind, mesh)
        model = tiny_model()
        result[kind] = step_losses(model, data, weights)
        result[f"{kind}_qkv"] = sharding_of(model, "block_0/qkv/kernel")
        result[f"{kind}_mlp_out"] = sharding_of(model, "block_0/mlp_out/kernel")
        result[f"{kind}_embedding"] = sharding_of(
            model, "token_embedding/embeddings")
    configure_distribution("none")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
