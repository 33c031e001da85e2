"""torch data parallel: 1 vs 2 processes on this machine, same global batch.

Each run trains the `clip-bench` CLIP (or, with --tiny, a small one) for
--steps steps of one global batch through Keras' training step: 1 process
on the whole batch with every core's thread and with one thread (the
control: what one process of the next run has), then 2 processes
(`keras-mm launch -n 2`, gloo on CPU, NCCL on GPU) on half of it each, with
the global-batch loss (embeddings all-gathered) and the gradients averaged
across processes; the cores are split between the processes. Writes
benchmarks/results/torch_ddp.json with the machine described and its load
average (other jobs on the machine change the figures).

    python benchmarks/torch_ddp.py [--steps 10] [--warmup 2] [--tiny]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import common  # noqa: E402
from clip_bench_model import BATCH  # noqa: E402
from clip_bench_model import CONFIG  # noqa: E402

TINY = dict(CONFIG, image_size=32, width=64, layers=1, heads=2,
            vocab_size=512, embed_dim=32)


def _model(config):
    import keras_mm

    c = config
    image = keras_mm.models.VisionTransformerEncoder(
        c["image_size"], c["patch_size"], c["width"], c["layers"], c["heads"],
        intermediate_dim=c["mlp_ratio"] * c["width"], pooling="cls")
    text = keras_mm.models.TextTransformerEncoder(
        c["vocab_size"], c["context_length"], c["width"], c["layers"],
        c["heads"], intermediate_dim=c["mlp_ratio"] * c["width"],
        causal=True, pooling="eot")
    return keras_mm.tasks.ContrastiveModel(
        {"image": image, "text": text}, projection_dim=c["embed_dim"])


def _batch(config, rows):
    import numpy as np

    rng = np.random.default_rng(0)
    c = config
    return {
        "images": rng.uniform(0, 255, (rows, c["image_size"],
                                       c["image_size"], 3)).astype("float32"),
        "token_ids": rng.integers(1, c["vocab_size"], (
            rows, c["context_length"])).astype("int32"),
        "padding_mask": np.ones((rows, c["context_length"]), bool),
    }


def worker(out, steps, warmup, tiny, threads):
    """One process: `steps` timed steps after `warmup`; rank 0 writes
    OUT as JSON."""
    import torch

    torch.set_num_threads(threads)
    import keras

    import keras_mm

    parallel = keras_mm.distribution.configure_distribution("data")
    keras.utils.set_random_seed(0)
    config = TINY if tiny else CONFIG
    model = _model(config)
    model.compile()
    local = keras_mm.distribution.local_batch_size(BATCH)
    batch = _batch(config, BATCH)
    part = {k: v[parallel.rank * local:(parallel.rank + 1) * local]
            for k, v in batch.items()}
    for _ in range(warmup):
        model.train_on_batch(part)
    start = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(part)
    seconds = time.perf_counter() - start
    if parallel.rank == 0:
        with open(out, "w") as f:
            json.dump({"processes": parallel.world_size,
                       "backend": parallel.backend, "threads": threads,
                       "local_batch": local, "seconds": seconds,
                       "samples_per_s": BATCH * steps / seconds,
                       "loss": float(loss)}, f)


def _run(processes, threads, args, out):
    job = [sys.executable, os.path.abspath(__file__), "--worker", out,
           "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--threads", str(threads)] + (["--tiny"] if args.tiny else [])
    env = {**os.environ, "KERAS_BACKEND": "torch",
           "PYTHONPATH": os.pathsep.join(
               [ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    if processes > 1:
        job = [sys.executable, "-m", "keras_mm.cli.main", "launch", "-n",
               str(processes), "--timeout", str(args.timeout), "--", *job]
    subprocess.run(job, env=env, check=True, timeout=args.timeout + 60)
    with open(out) as f:
        return json.load(f)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--tiny", action="store_true",
                        help="a small CLIP and 2 steps: a check, not a figure")
    parser.add_argument("--timeout", type=int, default=1200)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.steps, args.warmup, args.tiny,
                      args.threads)
    if args.tiny:
        args.steps, args.warmup = 2, 1
    with tempfile.TemporaryDirectory() as tmp:
        load_before = os.getloadavg()
        cores = os.cpu_count() or 1
        runs = [_run(n, threads, args, os.path.join(tmp, f"{n}_{threads}"))
                for n, threads in ((1, cores), (1, max(1, cores // 2)),
                                   (2, max(1, cores // 2)))]
    figures = {
        "machine": common.machine("torch", "cpu"),
        "model": "tiny" if args.tiny else "clip-bench",
        "global_batch": BATCH, "steps": args.steps, "warmup": args.warmup,
        "load_average_1_5_15_min": {"before": load_before,
                                    "after": os.getloadavg()},
        "runs": runs,
        "speedup_2_vs_1": runs[2]["samples_per_s"] / runs[0]["samples_per_s"],
    }
    common.print_table(
        [[r["processes"], r["threads"], r["local_batch"],
          f"{r['samples_per_s']:.1f}"] for r in runs],
        ["processes", "threads each", "batch each", "samples/s"])
    if not args.tiny:
        print("wrote", common.write_results("torch_ddp", figures))
    return figures


if __name__ == "__main__":
    main()
