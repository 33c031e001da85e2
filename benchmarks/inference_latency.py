"""Image-embedding latency at batch 1 and 32: keras_mm vs open_clip.

    python benchmarks/inference_latency.py [--rounds 5] [--calls 20]
        [--models clip-bench,vit-b32] [--backends jax,tensorflow,torch]
        [--open-clip-python /path/to/venv/bin/python] [--no-onnx]
        [--precision fp32|bf16] [--batches 1,32] [--tiny]
        [--baseline-tree /path/to/older/checkout]

Two image towers: `clip-bench` (the 5 M-parameter benchmark CLIP) and
`vit-b32` (ViT-B/32: 224 px, patch 32, width 768, 12 layers, built as in
finetune_throughput.py). Contenders: each keras_mm backend through
`keras_mm.inference.CompiledPredictor`; keras_mm's own ONNX export
(`keras_mm.export.export_onnx`, a batch-1 graph) in onnxruntime, which runs
a batch row by row; open_clip's `encode_image` (in `--open-clip-python`).
Each contender is a warm worker process; rounds are interleaved and the
median per-call latency (ms) is reported. `--tiny` runs a small tower once
to check the script (results in `inference_latency_tiny.json`).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clip_bench_model  # noqa: E402
import common  # noqa: E402
import finetune_throughput  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")
MODELS = ("clip-bench", "vit-b32")
BATCHES = (1, 32)


def _image_size(model, size):
    if model == "clip-bench":
        return clip_bench_model.CONFIG["image_size"]
    return finetune_throughput.SIZES[size]["image_size"]


def _images(np, model, size, batch):
    pixels = _image_size(model, size)
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (batch, pixels, pixels, 3)).astype("float32")


def _keras_tower(model, size):
    if model == "clip-bench":
        return clip_bench_model.keras_mm_model().tower("image")
    sizes = finetune_throughput.SIZES[size]
    return finetune_throughput.build_clip_model(sizes).tower("image")


def _timed(embed, inputs, calls, sync=lambda: None):
    """Warms `embed` up, then serves the mean latency (ms) per batch."""
    def handle(_):
        result = {}
        for b, x in inputs.items():
            start = time.perf_counter()
            for _ in range(calls):
                embed(x)
            sync()
            result[f"b{b}"] = (time.perf_counter() - start) / calls * 1000
        return result

    for x in inputs.values():  # compile each batch size once
        for _ in range(3):
            embed(x)
    sync()
    common.serve_forever(handle)


def keras_worker(model, size, batches, calls, precision):
    import keras
    import numpy as np

    from keras_mm.inference import CompiledPredictor

    if precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    # keras_mm's inference entry point: the backend's fastest call.
    embed = CompiledPredictor(_keras_tower(model, size))
    inputs = {b: {"images": _images(np, model, size, b)} for b in batches}
    _timed(embed, inputs, calls)


def onnxruntime_worker(model, size, batches, calls):
    """keras_mm's ONNX export of the tower (fixed batch 1) in onnxruntime."""
    import numpy as np

    from keras_mm.export import OnnxRunner
    from keras_mm.export import export_onnx

    full = (clip_bench_model.keras_mm_model() if model == "clip-bench"
            else finetune_throughput.build_clip_model(
                finetune_throughput.SIZES[size]))
    folder = tempfile.mkdtemp(prefix="inference_onnx_")
    path = export_onnx(full, folder, modalities=["image"])["image"]["float32"]
    del full
    runner = OnnxRunner(path, num_threads=os.cpu_count())
    inputs = {b: {"images": _images(np, model, size, b)} for b in batches}
    _timed(runner, inputs, calls)


def open_clip_worker(model, size, batches, calls, precision):
    import numpy as np
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(os.cpu_count())
    if model == "clip-bench":
        net = clip_bench_model.open_clip_model()
    else:
        net, _ = finetune_throughput._open_clip_model(size)
    net = net.eval().to(device)
    inputs = {
        b: (torch.from_numpy(_images(np, model, size, b))
            .permute(0, 3, 1, 2) / 255.0).to(device)
        for b in batches
    }

    def embed(x):
        with torch.inference_mode(), torch.autocast(
                device, dtype=torch.bfloat16, enabled=precision == "bf16"):
            return net.encode_image(x, normalize=True)

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    _timed(embed, inputs, calls, sync)


def _split(text):
    return [t for t in text.split(",") if t]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None,
                        help="measured rounds (default 5; 1 with --tiny)")
    parser.add_argument("--calls", type=int, default=None,
                        help="calls per batch size and round (default 20; "
                        "2 with --tiny)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated subset of " + ",".join(MODELS))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)),
                        help="batch sizes (default 1,32; on a GPU, one that "
                        "fills the card)")
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        default="fp32")
    parser.add_argument("--no-onnx", action="store_true",
                        help="leave out keras_mm's ONNX export")
    parser.add_argument("--tiny", action="store_true",
                        help="a small ViT tower, to check the script")
    parser.add_argument("--open-clip-python", default=None)
    parser.add_argument("--baseline-tree", default=None,
                        help="another checkout whose keras_mm is measured "
                        "in the same run (ratio_over_baseline)")
    parser.add_argument("--worker",
                        choices=(*BACKENDS, "open_clip", "onnxruntime"))
    parser.add_argument("--model", choices=MODELS, default="clip-bench",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = "tiny" if args.tiny else "full"
    rounds = args.rounds or (1 if args.tiny else 5)
    calls = args.calls or (2 if args.tiny else 20)
    batches = [int(b) for b in _split(args.batches)]
    if args.worker == "open_clip":
        return open_clip_worker(args.model, size, batches, calls,
                                args.precision)
    if args.worker == "onnxruntime":
        return onnxruntime_worker(args.model, size, batches, calls)
    if args.worker:
        return keras_worker(args.model, size, batches, calls, args.precision)

    models = _split(args.models)
    if args.tiny:
        models = ["vit-b32"]
    backends = _split(args.backends)
    for name in models:
        if name not in MODELS:
            parser.error(f"--models: expected names from {MODELS}, "
                         f"got {name!r}")
    figures = {"machine": common.machine(backend="all", device="cpu"),
               "load_average": {"start": common.load_average()},
               "precision": args.precision, "rounds": rounds,
               "calls": calls, "size": size}
    for name in models:
        found = _measure(args, name, size, backends, batches, rounds, calls)
        if name == "clip-bench":
            figures.update(found)  # the keys this file has always had
        else:
            figures[name.replace("-", "_")] = found
    figures["load_average"]["end"] = common.load_average()
    result = "inference_latency" + ("_tiny" if args.tiny else "")
    if args.precision == "bf16":
        result += "_bf16"
    print("wrote", common.write_results(result, figures))
    return figures


def _measure(args, model, size, backends, batches, rounds, calls):
    script = os.path.abspath(__file__)
    flags = ["--model", model, "--calls", str(calls), "--batches",
             ",".join(map(str, batches)), "--precision", args.precision]
    if size == "tiny":
        flags.append("--tiny")
    workers = [
        common.Worker(b, [sys.executable, script, "--worker", b, *flags],
                      env={"KERAS_BACKEND": b})
        for b in backends
    ]
    if not args.no_onnx and args.precision == "fp32":
        workers.append(common.Worker(
            "onnxruntime",
            [sys.executable, script, "--worker", "onnxruntime", *flags],
            env={"KERAS_BACKEND": "torch"}))
    if args.open_clip_python:
        workers.append(common.Worker(
            "open_clip",
            [args.open_clip_python, script, "--worker", "open_clip", *flags],
        ))
    if args.baseline_tree:
        # An older script may know only --calls (clip-bench, batch 1, 32).
        workers += common.baseline_workers(
            args.baseline_tree, "inference_latency.py", backends,
            flags if model != "clip-bench" else ["--calls", str(calls)])
    keys = [f"b{b}" for b in batches]
    samples = {w.name: {k: [] for k in keys} for w in workers}
    for _ in range(rounds):
        for worker in workers:
            for key, value in worker.run("run").items():
                samples[worker.name][key].append(value)
    for worker in workers:
        worker.close()
    median = {name: {k: statistics.median(v) for k, v in per.items()}
              for name, per in samples.items()}
    figures = {"latency_ms": median}
    if model != "clip-bench":
        figures["model"] = finetune_throughput.SIZES[size]
    # keras_mm's paths: its backends and its own ONNX export.
    ours = {k: v for k, v in median.items()
            if k in backends or k == "onnxruntime"}
    peer = median.get("open_clip")
    for b, key in zip(batches, keys):
        best = min(ours, key=lambda k: ours[k][key])
        if model == "clip-bench":
            figures[f"best_backend_b{b}"] = best
            if peer:
                figures[f"ratio_b{b}_best_over_open_clip"] = (
                    ours[best][key] / peer[key])
            continue
        figures.setdefault("best", {})[f"batch_{b}"] = best
        if peer:
            figures.setdefault("ratio_best_over_open_clip", {})[
                f"batch_{b}"] = ours[best][key] / peer[key]
            figures.setdefault("ratio_over_open_clip", {})[f"batch_{b}"] = {
                k: v[key] / peer[key] for k, v in ours.items()}
    if args.baseline_tree:
        for b, key in zip(batches, keys):
            found = common.baseline_figures(
                args.baseline_tree,
                {k: median[k][key] for k in backends},
                {k: median[f"{k}@baseline"][key] for k in backends},
                faster="lower")
            figures["baseline_commit"] = found["baseline_commit"]
            figures[f"ratio_b{b}_over_baseline"] = found["ratio_over_baseline"]
    print(model)
    rows = [(k, *(f"{v[key]:.2f}" for key in keys)) for k, v in
            median.items()]
    common.print_table(rows, ("contender", *(f"batch {b} ms"
                                             for b in batches)))
    return figures


if __name__ == "__main__":
    main()
