"""Data or model parallel training of a small CLIP on the built-in data.

Run (one machine; --virtual-devices splits the CPU into N devices):
  python examples/distributed_training.py --distribution data
  KERAS_BACKEND=jax python examples/distributed_training.py \
      --distribution model --mesh 4x2 --virtual-devices 8
  KERAS_BACKEND=jax keras-mm launch -n 2 -- \
      python examples/distributed_training.py --distribution data
  KERAS_BACKEND=torch keras-mm launch -n 2 -- \
      python examples/distributed_training.py --distribution data

On torch each process is one device (torch.distributed: gloo on CPU, NCCL
on GPU) and feeds its own part of every global batch; on several hosts,
start it with torchrun instead of keras-mm launch.
"""

import argparse
import os
import time


def _split_cpu(count):
    """N virtual CPU devices; must run before the backend starts."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        os.environ["XLA_FLAGS"] = (
            f"{os.environ.get('XLA_FLAGS', '')} "
            f"--xla_force_host_platform_device_count={count}"
        )
    elif backend == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distribution", default="data",
                        choices=("none", "data", "model"))
    parser.add_argument("--mesh", default=None, help="'8' or '4x2'")
    parser.add_argument("--virtual-devices", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64,
                        help="global batch, split over the devices")
    parser.add_argument("--tiny", action="store_true", help="seconds (CI)")
    args = parser.parse_args(argv)
    if args.virtual_devices:
        _split_cpu(args.virtual_devices)

    import keras
    import tensorflow as tf

    import keras_mm
    from keras_mm.data import TextPreprocessor
    from keras_mm.datasets import make_image_text_pairs
    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )

    # Before the model exists: it is built sharded / mirrored.
    distribution = keras_mm.distribution.configure_distribution(
        args.distribution, args.mesh)
    n, hidden, layers = (256, 32, 1) if args.tiny else (4096, 128, 2)
    pairs = make_image_text_pairs(n, image_size=32, seed=0)
    text = TextPreprocessor.from_corpus(pairs["captions"],
                                        vocabulary_size=256,
                                        sequence_length=32)
    tokens = text(pairs["captions"])
    inputs = {
        "images": pairs["images"].astype("float32"),
        "token_ids": tokens["token_ids"],
        "padding_mask": tokens["padding_mask"],
    }
    # tf.data: the one input type every strategy and multi-process JAX take.
    dataset = tf.data.Dataset.from_tensor_slices(inputs).batch(
        args.batch_size, drop_remainder=True)
    # torch: this process's part of each global batch (elsewhere as is).
    dataset = keras_mm.distribution.shard_global_batches(
        dataset, args.batch_size).prefetch(2)

    keras.utils.set_random_seed(0)
    model = build_model(text.vocabulary_size, hidden, layers, num_heads=2,
                        projection_dim=64)
    model.compile()
    start = time.perf_counter()
    history = model.fit(dataset, epochs=1 if args.tiny else 3,
                        verbose=0 if args.tiny else 1)
    seconds = time.perf_counter() - start
    replicas = getattr(distribution, "num_replicas_in_sync", None) or (
        len(distribution.device_mesh.devices.flatten())
        if distribution is not None else 1)
    summary = {
        "backend": keras.config.backend(),
        "distribution": args.distribution,
        "devices": replicas,
        "loss": history.history["loss"][-1],
        "samples_per_s": len(history.history["loss"]) * n / seconds,
    }
    print(" ".join(f"{k}={v}" for k, v in summary.items()), flush=True)
    keras_mm.distribution.configure_distribution("none")
    return summary


if __name__ == "__main__":
    main()
