"""Image-embedding latency at batch 1 and 32: keras_mm backends vs open_clip.

    python benchmarks/inference_latency.py [--rounds 5] [--calls 20]
        [--open-clip-python /path/to/venv/bin/python]
        [--baseline-tree /path/to/older/checkout]

Each contender is a warm worker process; rounds are interleaved and the
median per-call latency (ms) is reported.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from clip_bench_model import CONFIG  # noqa: E402
import common  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")
BATCHES = (1, 32)


def _images(np, batch):
    size = CONFIG["image_size"]
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (batch, size, size, 3)).astype("float32")


def keras_worker(calls):
    import numpy as np

    from clip_bench_model import keras_mm_model

    from keras_mm.inference import CompiledPredictor

    # keras_mm's inference entry point: the backend's fastest call.
    embed = CompiledPredictor(keras_mm_model().tower("image"))
    inputs = {b: {"images": _images(np, b)} for b in BATCHES}
    for b in BATCHES:  # compile each batch size once
        for _ in range(3):
            embed(inputs[b])

    def handle(_):
        result = {}
        for b in BATCHES:
            start = time.perf_counter()
            for _ in range(calls):
                embed(inputs[b])
            result[f"b{b}"] = (time.perf_counter() - start) / calls * 1000
        return result

    common.serve_forever(handle)


def open_clip_worker(calls):
    import numpy as np
    import torch

    from clip_bench_model import open_clip_model

    torch.set_num_threads(os.cpu_count())
    model = open_clip_model().eval()
    inputs = {
        b: torch.from_numpy(_images(np, b)).permute(0, 3, 1, 2) / 255.0
        for b in BATCHES
    }

    def embed(x):
        with torch.inference_mode():
            return model.encode_image(x, normalize=True)

    for b in BATCHES:
        for _ in range(3):
            embed(inputs[b])

    def handle(_):
        result = {}
        for b in BATCHES:
            start = time.perf_counter()
            for _ in range(calls):
                embed(inputs[b])
            result[f"b{b}"] = (time.perf_counter() - start) / calls * 1000
        return result

    common.serve_forever(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--open-clip-python", default=None)
    parser.add_argument("--baseline-tree", default=None,
                        help="another checkout whose keras_mm is measured "
                        "in the same run (ratio_over_baseline)")
    parser.add_argument("--worker", choices=(*BACKENDS, "open_clip"))
    args = parser.parse_args(argv)
    if args.worker == "open_clip":
        return open_clip_worker(args.calls)
    if args.worker:
        return keras_worker(args.calls)

    script = os.path.abspath(__file__)
    calls = ["--calls", str(args.calls)]
    workers = [
        common.Worker(b, [sys.executable, script, "--worker", b, *calls],
                      env={"KERAS_BACKEND": b})
        for b in BACKENDS
    ]
    if args.open_clip_python:
        workers.append(common.Worker(
            "open_clip",
            [args.open_clip_python, script, "--worker", "open_clip", *calls],
        ))
    if args.baseline_tree:
        workers += common.baseline_workers(
            args.baseline_tree, "inference_latency.py", BACKENDS, calls)
    samples = {w.name: {f"b{b}": [] for b in BATCHES} for w in workers}
    for _ in range(args.rounds):
        for worker in workers:
            for key, value in worker.run("run").items():
                samples[worker.name][key].append(value)
    for worker in workers:
        worker.close()
    median = {name: {k: statistics.median(v) for k, v in per.items()}
              for name, per in samples.items()}
    figures = {"latency_ms": median,
               "machine": common.machine(backend="all", device="cpu")}
    ours = {k: v for k, v in median.items() if k in BACKENDS}
    for b in BATCHES:
        best = min(ours, key=lambda k: ours[k][f"b{b}"])
        figures[f"best_backend_b{b}"] = best
        if "open_clip" in median:
            figures[f"ratio_b{b}_best_over_open_clip"] = (
                ours[best][f"b{b}"] / median["open_clip"][f"b{b}"])
    if args.baseline_tree:
        for b in BATCHES:
            found = common.baseline_figures(
                args.baseline_tree,
                {k: v[f"b{b}"] for k, v in ours.items()},
                {k: median[f"{k}@baseline"][f"b{b}"] for k in BACKENDS},
                faster="lower")
            figures["baseline_commit"] = found["baseline_commit"]
            figures[f"ratio_b{b}_over_baseline"] = found["ratio_over_baseline"]
            print(f"batch {b} speed new / baseline:",
                  {k: round(v, 3) for k, v in
                   found["ratio_over_baseline"].items()})
    rows = [(k, f"{v['b1']:.2f}", f"{v['b32']:.2f}") for k, v in
            median.items()]
    common.print_table(rows, ("contender", "batch 1 ms", "batch 32 ms"))
    print("wrote", common.write_results("inference_latency", figures))


if __name__ == "__main__":
    main()
