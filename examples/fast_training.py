"""Train the `clip-bench` benchmark CLIP at full speed on a CPU, and show why.

Run as a script, it first restarts itself with glibc's malloc tuned for
the step's buffers (`keras_mm.backend.reexec_with_tuned_allocator`, as the
`keras-mm` command does): transparent huge pages, and on jax and torch a
heap that keeps what it frees. XLA (jax, TensorFlow) and torch's autograd
allocate large step buffers afresh each step, and with glibc's defaults
every step faults them in again. Add `--precision bf16` for
`mixed_bfloat16`. It then
trains the `clip-bench` preset on random data with keras_mm's compile
defaults and prints samples/s and page faults per step.

    python examples/fast_training.py            # clip-bench, batch 64
    KERAS_MM_HOST_ALLOCATOR=0 python examples/fast_training.py  # compare
    python examples/fast_training.py --tiny
"""

import argparse
import os
import resource
import time

import numpy as np


def _random_batch(model, n, seed=0):
    image_size = model.encoders["image"].image_size
    text = model.encoders["text"]
    rng = np.random.default_rng(seed)
    return {
        "images": rng.uniform(0, 255, (n, image_size, image_size, 3))
        .astype("float32"),
        "token_ids": rng.integers(1, text.vocabulary_size,
                                  (n, text.sequence_length)).astype("int32"),
        "padding_mask": np.ones((n, text.sequence_length), bool),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a small model, batch 8, 2 steps")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        default="fp32",
                        help="bf16: mixed_bfloat16 (matmuls in bfloat16)")
    args = parser.parse_args(argv)

    import keras

    previous = keras.config.dtype_policy()
    if args.precision == "bf16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        return _train_and_report(args)
    finally:
        keras.config.set_dtype_policy(previous)


def _train_and_report(args):
    import keras

    import keras_mm

    overrides = {}
    if args.tiny:
        args.steps, args.batch_size = 2, 8
        overrides = {"encoders__text__vocabulary_size": 100,
                     "encoders__image__num_layers": 1,
                     "encoders__text__num_layers": 1}
    model = keras_mm.presets.from_preset("clip-bench", **overrides)
    model.compile()  # AdamW without decay on norms/biases, XLA on TF
    data = _random_batch(model, args.steps * args.batch_size)
    model.fit(data, batch_size=args.batch_size, epochs=1, verbose=0)

    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    model.fit(data, batch_size=args.batch_size, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    report = {
        "backend": keras.config.backend(),
        "precision": keras.config.dtype_policy().name,
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "samples_per_s": args.steps * args.batch_size / seconds,
        "page_faults_per_step": (faults - faults_before) / args.steps,
    }
    for key, value in report.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float)
              else f"{key}: {value}")
    return report


if __name__ == "__main__":
    from keras_mm.backend import reexec_with_tuned_allocator

    reexec_with_tuned_allocator()
    main()
