"""How training cost grows: samples/s and peak memory across batch sizes
and model widths, per keras_mm backend and open_clip.

    python benchmarks/scaling.py [--batches 8,16,32,64,128]
        [--widths clip-bench,clip-small,vit-b32]
        [--width-batches vit-b32=8,16,32] [--steps 3]
        [--backends jax,tensorflow,torch]
        [--open-clip-python /path/to/venv/bin/python] [--tiny]

Widths: `clip-bench` (clip_bench_model.py, 5 M parameters, 64 px),
`clip-small` (128 px, patch 16, width 384, 6 layers per tower) and
`vit-b32` (the ViT-B/32 CLIP of finetune_throughput.py). Every weight is
trained with AdamW, as in train_throughput.py. One fresh process per
contender and width runs the batch sizes in increasing order: per batch one
warm-up step (compilation), then the peak RSS counter is reset (freed heap
trimmed first) and `--steps` steps are timed, so each batch's peak is its
own step's (what a smaller batch left cached is below it). Writes
scaling.json and scaling.png (`--tiny`: a small CLIP at batch 2 and 4,
scaling_tiny.*).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clip_bench_model  # noqa: E402
import common  # noqa: E402
import finetune_throughput  # noqa: E402
from memory import _proc_status  # noqa: E402
from memory import _reset_host_peak  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")
# Between clip-bench and ViT-B/32 in every dimension but the vocabulary.
CLIP_SMALL = dict(image_size=128, patch_size=16, image_width=384,
                  image_layers=6, image_heads=6, sequence_length=64,
                  text_width=384, text_layers=6, text_heads=6,
                  projection_dim=256, batch=32)
WIDTHS = ("clip-bench", "clip-small", "vit-b32")


def _sizes(width):
    """The finetune_throughput-style size dict of a width (not clip-bench)."""
    if width == "clip-small":
        return CLIP_SMALL
    return finetune_throughput.SIZES["tiny" if width == "tiny" else "full"]


def _shapes(width):
    """(image pixels, text length, vocabulary) of a width's inputs."""
    if width == "clip-bench":
        c = clip_bench_model.CONFIG
        return c["image_size"], c["context_length"], c["vocab_size"]
    s = _sizes(width)
    return (s["image_size"], s["sequence_length"],
            finetune_throughput.VOCABULARY_SIZE)


def _random_batch(np, width, n):
    pixels, length, vocabulary = _shapes(width)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, vocabulary - 2, (n, length)).astype("int32")
    tokens[:, -1] = vocabulary - 1  # end of text last, where towers pool
    return {"images": rng.uniform(0, 255, (n, pixels, pixels, 3))
            .astype("float32"),
            "token_ids": tokens,
            "padding_mask": np.ones((n, length), bool)}


def _measure_batches(run_steps, batches, steps):
    """Per batch: warm-up, peak reset, `steps` timed steps."""
    points = {}
    for batch in batches:
        run_steps(batch, 1)
        _reset_host_peak()
        start = time.perf_counter()
        run_steps(batch, steps)
        points[str(batch)] = {
            "samples_per_s": batch * steps / (time.perf_counter() - start),
            "peak_rss_bytes": _proc_status("VmHWM")}
    return points


def keras_points(width, batches, steps):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    if width == "clip-bench":
        model = clip_bench_model.keras_mm_model()
    else:
        model = finetune_throughput.build_clip_model(_sizes(width))
    model.compile()  # keras_mm's defaults (AdamW, per-backend settings)
    data = {}

    def run_steps(batch, n):
        if batch not in data:
            data.clear()
            data[batch] = _random_batch(np, width, batch * steps)
        sliced = {k: v[:batch * n] for k, v in data[batch].items()}
        model.fit(sliced, batch_size=batch, epochs=1, verbose=0)

    return _measure_batches(run_steps, batches, steps)


def _open_clip_model(width):
    if width == "clip-bench":
        return clip_bench_model.open_clip_model()
    return finetune_throughput.open_clip_clip(_sizes(width))


def open_clip_points(width, batches, steps):
    import numpy as np
    import torch
    from open_clip.loss import ClipLoss

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    model = _open_clip_model(width).train()
    loss_fn = ClipLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4,
                                  weight_decay=0.05)

    def run_steps(batch, n):
        data = _random_batch(np, width, batch)
        images = torch.from_numpy(data["images"]).permute(0, 3, 1, 2) / 255.0
        tokens = torch.from_numpy(data["token_ids"]).long()
        for _ in range(n):
            out = model(images, tokens)
            loss = loss_fn(out["image_features"], out["text_features"],
                           out["logit_scale"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return _measure_batches(run_steps, batches, steps)


def _run_points(contender, width, batches, steps, open_clip_python):
    python = open_clip_python if contender == "open_clip" else sys.executable
    env = {} if contender == "open_clip" else {"KERAS_BACKEND": contender}
    out = subprocess.run(
        [python, os.path.abspath(__file__), "--worker", contender,
         "--width", width, "--batches", ",".join(map(str, batches)),
         "--steps", str(steps)],
        capture_output=True, text=True, env=common._worker_environ(env))
    if out.returncode:
        raise RuntimeError(f"{contender} {width} failed:\n"
                           f"{out.stderr[-3000:]}")
    line = next(s for s in out.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line.split(" ", 1)[1])


def plot(figures, path):
    """Samples/s and peak RSS against batch, a line per contender and
    width (colour: contender; line style: width)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"jax": "tab:blue", "tensorflow": "tab:orange",
               "torch": "tab:red", "open_clip": "tab:gray"}
    styles = ["-", "--", ":", "-."]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for i, (width, per) in enumerate(figures["points"].items()):
        for contender, points in per.items():
            batches = sorted(points, key=int)
            x = [int(b) for b in batches]
            style = dict(color=colours.get(contender, "black"),
                         linestyle=styles[i % len(styles)], marker="o",
                         markersize=3, label=f"{contender} {width}")
            axes[0].plot(x, [points[b]["samples_per_s"] for b in batches],
                         **style)
            axes[1].plot(x, [points[b]["peak_rss_bytes"] / 2**30
                             for b in batches], **style)
    for ax, label in zip(axes, ("samples/s (training)", "peak RSS (GiB)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("batch")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2)
    load = figures["load_average"]["start"][0]
    fig.suptitle(f"Training cost by batch and width "
                 f"({figures['machine']['cores']} cores, "
                 f"load average {load:.1f} at start)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path


def _ints(text):
    return [int(t) for t in text.split(",") if t]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="8,16,32,64,128")
    parser.add_argument("--widths", default=",".join(WIDTHS))
    parser.add_argument("--width-batches", action="append", default=[],
                        help="WIDTH=B1,B2,... : other batches for a width "
                        "(e.g. vit-b32=8,16,32 on a small machine)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per batch (default 3; 1 with "
                        "--tiny)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--open-clip-python", default=None)
    parser.add_argument("--tiny", action="store_true",
                        help="a small CLIP at batch 2 and 4")
    parser.add_argument("--parallel", type=int, default=1,
                        help="processes run at once (default 1: one at a "
                        "time; more shortens a run on a loaded machine, "
                        "and the contenders then share the cores)")
    parser.add_argument("--worker", choices=(*BACKENDS, "open_clip"))
    parser.add_argument("--width", choices=(*WIDTHS, "tiny"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps = args.steps or (1 if args.tiny else 3)
    if args.worker:
        points = (open_clip_points if args.worker == "open_clip"
                  else keras_points)(args.width, _ints(args.batches), steps)
        print("RESULT", json.dumps(points))
        return None

    widths = ["tiny"] if args.tiny else [w for w in args.widths.split(",")
                                         if w]
    for width in widths:
        if width not in (*WIDTHS, "tiny"):
            parser.error(f"--widths: expected names from {WIDTHS}, got "
                         f"{width!r}")
    per_width = {}
    for entry in args.width_batches:
        width, _, batches = entry.partition("=")
        if width not in WIDTHS or not batches:
            parser.error(f"--width-batches: expected WIDTH=B1,B2 with a "
                         f"width from {WIDTHS}, got {entry!r}")
        per_width[width] = _ints(batches)
    default_batches = [2, 4] if args.tiny else _ints(args.batches)
    contenders = [b for b in args.backends.split(",") if b]
    if args.open_clip_python:
        contenders.append("open_clip")
    figures = {"load_average": {"start": common.load_average()},
               "machine": common.machine(backend="all", device="cpu"),
               "steps": steps, "parallel": args.parallel,
               "widths": {w: (clip_bench_model.CONFIG if w == "clip-bench"
                              else _sizes(w)) for w in widths},
               "points": {}}
    name = "scaling_tiny" if args.tiny else "scaling"
    tasks = [(width, contender) for width in widths
             for contender in contenders]
    # Largest width first: with --parallel its runs start earliest.
    with ThreadPoolExecutor(args.parallel) as pool:
        running = {pool.submit(_run_points, contender, width,
                               per_width.get(width, default_batches), steps,
                               args.open_clip_python): (width, contender)
                   for width, contender in tasks[::-1]}
        for done in as_completed(running):
            width, contender = running[done]
            print(f"{width} {contender} done", flush=True)
            figures["points"].setdefault(width, {})[contender] = done.result()
            # What is done so far survives a run stopped part-way.
            common.write_results(name, figures)
    figures["points"] = {w: {c: figures["points"][w][c] for c in contenders}
                         for w in widths}
    figures["load_average"]["end"] = common.load_average()
    rows = [(w, c, b, f"{p['samples_per_s']:.1f}",
             f"{p['peak_rss_bytes'] / 2**20:.0f}")
            for w, per in figures["points"].items()
            for c, points in per.items() for b, p in points.items()]
    common.print_table(rows, ("width", "contender", "batch", "samples/s",
                              "peak RSS MiB"))
    print("wrote", common.write_results(name, figures))
    print("wrote", plot(figures, os.path.join(common.RESULTS,
                                              f"{name}.png")))
    return figures


if __name__ == "__main__":
    main()
