"""Training samples/s of keras_mm (jax, tensorflow, torch) vs open_clip.

One run: a warm worker process per contender, then interleaved measured
rounds (A B C D A B C D …); the median of the rounds is reported, with MFU
against the float32 matmul peak measured in the same run, counted twice: on
the full model's FLOPs (`mfu`, what open_clip executes) and on the FLOPs each
contender executes (`mfu_executed`).

With `--precision bf16`, open_clip runs in both of its modes (float32 and
`amp_bf16`) in the same run, and the bf16 ratios are taken against the
faster of the two: on some CPUs its autocast is slower than its float32.

    python benchmarks/train_throughput.py [--rounds 5] [--steps 10]
        [--open-clip-python /path/to/venv/bin/python] [--precision fp32|bf16]
        [--baseline-tree /path/to/older/checkout]

open_clip needs its own environment (it pulls torchvision): see
benchmarks/README.md. Without `--open-clip-python` only keras_mm is measured.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from clip_bench_model import BATCH  # noqa: E402
from clip_bench_model import CONFIG  # noqa: E402
from clip_bench_model import forward_flops_per_sample  # noqa: E402
import common  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")


def _random_batch(np, steps, batch):
    rng = np.random.default_rng(0)
    c = CONFIG
    n = batch * steps
    return {
        "images": rng.uniform(0, 255, (n, c["image_size"], c["image_size"],
                                       3)).astype("float32"),
        "token_ids": rng.integers(1, c["vocab_size"],
                                  (n, c["context_length"])).astype("int32"),
        "padding_mask": np.ones((n, c["context_length"]), bool),
    }


def keras_worker(precision, steps, batch):
    import keras
    import numpy as np

    from clip_bench_model import keras_mm_model

    if precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras_mm_model()
    model.compile()  # keras_mm's defaults (AdamW, per-backend settings)
    data = _random_batch(np, steps, batch)
    model.fit(data, batch_size=batch, epochs=2, verbose=0)  # warm-up

    def handle(_):
        start = time.perf_counter()
        model.fit(data, batch_size=batch, epochs=1, verbose=0)
        return {"samples_per_s": batch * steps
                / (time.perf_counter() - start)}

    common.serve_forever(handle)


def open_clip_worker(precision, steps, batch):
    import numpy as np
    import torch
    from open_clip.loss import ClipLoss

    from clip_bench_model import open_clip_model

    torch.set_num_threads(os.cpu_count())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = open_clip_model().to(device)
    loss_fn = ClipLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4,
                                  weight_decay=0.05)
    data = _random_batch(np, steps, batch)
    images = (torch.from_numpy(data["images"]).permute(0, 3, 1, 2)
              / 255.0).to(device)
    tokens = torch.from_numpy(data["token_ids"]).long().to(device)
    autocast = precision == "bf16"

    def step(i):
        sl = slice(i * batch, (i + 1) * batch)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            out = model(images[sl], tokens[sl])
            loss = loss_fn(out["image_features"], out["text_features"],
                           out["logit_scale"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(steps):
        step(i)

    def handle(_):
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        return {"samples_per_s": batch * steps
                / (time.perf_counter() - start)}

    common.serve_forever(handle)


def _open_clip_modes(precision):
    """(worker name, precision) of each open_clip mode measured."""
    if precision == "fp32":
        return [("open_clip", "fp32")]
    return [("open_clip_fp32", "fp32"), ("open_clip_amp_bf16", "bf16")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        default="fp32")
    parser.add_argument("--batch", type=int, default=BATCH,
                        help=f"samples per step (default {BATCH})")
    parser.add_argument("--open-clip-python", default=None)
    parser.add_argument("--baseline-tree", default=None,
                        help="another checkout whose keras_mm is measured "
                        "in the same run (ratio_over_baseline)")
    parser.add_argument("--worker", choices=(*BACKENDS, "open_clip"))
    args = parser.parse_args(argv)
    if args.worker == "open_clip":
        return open_clip_worker(args.precision, args.steps, args.batch)
    if args.worker:
        return keras_worker(args.precision, args.steps, args.batch)

    script = os.path.abspath(__file__)
    common_args = ["--precision", args.precision, "--steps", str(args.steps),
                   "--batch", str(args.batch)]
    workers = [
        common.Worker(b, [sys.executable, script, "--worker", b,
                          *common_args], env={"KERAS_BACKEND": b})
        for b in BACKENDS
    ]
    if args.open_clip_python:
        for name, precision in _open_clip_modes(args.precision):
            workers.append(common.Worker(
                name,
                [args.open_clip_python, script, "--worker", "open_clip",
                 "--precision", precision, "--steps", str(args.steps),
                 "--batch", str(args.batch)],
            ))
    if args.baseline_tree:
        workers += common.baseline_workers(
            args.baseline_tree, "train_throughput.py", BACKENDS, common_args)
    # The peak is measured before every round and the best kept: on a
    # shared (virtual) machine a single measurement can land in a slow spell.
    peaks = []
    samples = {w.name: [] for w in workers}
    for _ in range(args.rounds):
        peaks.append(common.matmul_peak_gflops(repeats=5))
        for worker in workers:
            samples[worker.name].append(worker.run("run")["samples_per_s"])
    for worker in workers:
        worker.close()

    peak = max(peaks)
    flops = 3 * forward_flops_per_sample()
    executed = 3 * forward_flops_per_sample(pooled_last_block=True)
    median = {k: statistics.median(v) for k, v in samples.items()}
    mfu = {k: v * flops / 1e9 / peak for k, v in median.items()}
    # Only keras_mm skips the last blocks' non-pooled rows.
    mfu_executed = {
        k: v * (executed if k.split("@")[0] in BACKENDS else flops)
        / 1e9 / peak for k, v in median.items()}
    ours = {k: v for k, v in median.items() if k in BACKENDS}
    best = max(ours, key=ours.get)
    figures = {
        "precision": args.precision,
        "batch": args.batch,
        "samples_per_s": median,
        "rounds": samples,
        "mfu": mfu,
        "mfu_executed": mfu_executed,
        "mfu_best": mfu[best],
        "mfu_executed_best": mfu_executed[best],
        "best_backend": best,
        "peak_gflops": peak,
        "peak_gflops_rounds": peaks,
        "model_train_gflop_per_sample": flops / 1e9,
        # keras_mm skips the last blocks' non-pooled rows (same outputs);
        # MFU above counts the full model's FLOPs for every contender.
        "keras_mm_executed_train_gflop_per_sample": executed / 1e9,
        "machine": common.machine(backend="all", device="cpu"),
    }
    peers = [name for name, _ in _open_clip_modes(args.precision)
             if name in median]
    if peers:
        reference = max(peers, key=median.get)
        figures["open_clip_best_mode"] = reference
        if args.precision == "fp32":
            figures["ratio_best_over_open_clip"] = (
                ours[best] / median[reference])
            figures["ratio_worst_over_open_clip"] = (
                min(ours.values()) / median[reference])
        else:
            amp = median["open_clip_amp_bf16"]
            figures["ratio_bf16_best_over_open_clip"] = ours[best] / amp
            figures["ratio_bf16_worst_over_open_clip"] = (
                min(ours.values()) / amp)
            figures["ratio_bf16_best_over_open_clip_best_mode"] = (
                ours[best] / median[reference])
            figures["ratio_bf16_worst_over_open_clip_best_mode"] = (
                min(ours.values()) / median[reference])
    if args.baseline_tree:
        figures.update(common.baseline_figures(
            args.baseline_tree, ours,
            {b: median[f"{b}@baseline"] for b in BACKENDS}))
        print("new / baseline:", {k: round(v, 3) for k, v in
                                  figures["ratio_over_baseline"].items()})
    versus = median[figures["open_clip_best_mode"]] if peers else None
    rows = [(k, f"{median[k]:.1f}", f"{mfu[k]:.1%}",
             f"{mfu_executed[k]:.1%}",
             f"{median[k] / versus:.2f}x" if versus else "-")
            for k in median]
    common.print_table(rows, ("contender", "samples/s", "MFU",
                              "MFU executed", "vs open_clip best mode"))
    print(f"float32 matmul peak: {peak:.0f} GFLOP/s")
    name = "train_throughput" + ("" if args.precision == "fp32" else "_bf16")
    print("wrote", common.write_results(name, figures))


if __name__ == "__main__":
    main()
