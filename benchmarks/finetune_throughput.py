"""Fine-tuning samples/s of keras_mm (jax, tensorflow, torch) vs
transformers + peft and open_clip, on a ViT-B/32-size CLIP.

The job users run: a pretrained CLIP (here random weights at full size,
written as a Hugging Face folder and read back through
`keras_mm.models.load_pretrained`), image tower frozen, LoRA rank 8 on the
text tower's attention, AdamW. The peers do the same job their own way:
(a) transformers' `CLIPModel` from the same folder with peft LoRA rank 8 on
the text model's q/k/v/out projections (the rest frozen), (b) open_clip
with `lock_image` and its text tower trained in full. One warm worker per
contender, interleaved rounds, median reported.

    python benchmarks/finetune_throughput.py [--rounds 3] [--steps 5]
        [--open-clip-python /path/to/venv/bin/python] [--tiny]
        [--folder /tmp/clip_b32]

The peers need their own environment (torch, transformers, peft,
open_clip): see benchmarks/README.md. Without `--open-clip-python` only
keras_mm is measured.
"""

import argparse
import ctypes
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")
PEERS = ("hf_peft", "open_clip")
LORA_RANK = 8
VOCABULARY_SIZE = 49408
START_TOKEN, END_TOKEN = 49406, 49407
# CLIP's pixel normalisation, applied by the peers' data side (keras_mm's
# image tower applies it itself); written out as the peers' environment
# has no keras_mm.
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)

# ViT-B/32 CLIP (OpenAI's sizes) and a small one to check the script.
SIZES = {
    "full": dict(image_size=224, patch_size=32, image_width=768,
                 image_layers=12, image_heads=12, sequence_length=77,
                 text_width=512, text_layers=12, text_heads=8,
                 projection_dim=512, batch=32),
    "tiny": dict(image_size=64, patch_size=16, image_width=64,
                 image_layers=2, image_heads=2, sequence_length=16,
                 text_width=64, text_layers=2, text_heads=2,
                 projection_dim=64, batch=8),
}


def write_clip_folder(folder, size):
    """A random CLIP of `size` saved as a Hugging Face `CLIPModel` folder,
    as `keras_mm.testing.write_random_clip` does with one width for both
    towers (ViT-B/32's towers differ in width and heads)."""
    import keras_mm

    keras_mm.models.save_pretrained(build_clip_model(SIZES[size]), folder,
                                    to="hf")


def build_clip_model(s):
    """A random CLIP with the sizes `s` (an entry of `SIZES`), as written
    to the folder; other benchmarks build their ViT-B/32 with it."""
    import keras_mm
    from keras_mm.models.clip import CLIPTextPreprocessor

    return keras_mm.models.clip.build_clip(
        dict(image_size=s["image_size"], patch_size=s["patch_size"],
             hidden_dim=s["image_width"], num_layers=s["image_layers"],
             num_heads=s["image_heads"], activation="quick_gelu",
             image_mean=OPENAI_MEAN, image_std=OPENAI_STD),
        dict(vocabulary_size=VOCABULARY_SIZE,
             sequence_length=s["sequence_length"],
             hidden_dim=s["text_width"], num_layers=s["text_layers"],
             num_heads=s["text_heads"], activation="quick_gelu"),
        projection_dim=s["projection_dim"],
        preprocessors={
            "text": CLIPTextPreprocessor.from_merges_file(
                s["sequence_length"]),
            "image": keras_mm.models.ImagePreprocessor(s["image_size"],
                                                       s["image_size"])})


def _random_batch(np, size, steps):
    """Raw images (0–255, NHWC) and full-length captions: start token,
    random BPE ids, end-of-text token last (where every contender pools)."""
    s = SIZES[size]
    rng = np.random.default_rng(0)
    n, length = s["batch"] * steps, s["sequence_length"]
    tokens = rng.integers(1, START_TOKEN, (n, length)).astype("int32")
    tokens[:, 0], tokens[:, -1] = START_TOKEN, END_TOKEN
    return {
        "images": rng.uniform(0, 255, (n, s["image_size"], s["image_size"],
                                       3)).astype("float32"),
        "token_ids": tokens,
        "padding_mask": np.ones((n, length), bool),
    }


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field):
    """A field of /proc/self/status (VmRSS, VmHWM) in MB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class StepMemory:
    """Peak RSS of the measured steps above the RSS before them: what the
    step itself holds (activations kept for the backward pass, gradients,
    temporaries), apart from weights, optimizer state and compilation.

    Linux resets a process' peak RSS (VmHWM) when "5" is written to
    /proc/self/clear_refs; elsewhere `step_mb` is None. Freed heap pages
    are handed back first (`malloc_trim`), so that the RSS before the steps
    counts live memory only, not what warm-up and compilation left free."""

    def start(self):
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            self.before = None
            return
        self.before = _status_mb("VmRSS")

    def step_mb(self):
        peak = _status_mb("VmHWM")
        if self.before is None or peak is None:
            return None
        return peak - self.before


def _serve_rounds(run_round, samples, trainable):
    """Answers each "run" with one timed `run_round()` and its memory."""
    memory = StepMemory()

    def handle(_):
        memory.start()
        start = time.perf_counter()
        run_round()
        return {"samples_per_s": samples / (time.perf_counter() - start),
                "trainable_parameters": trainable,
                "peak_rss_mb": _peak_rss_mb(),
                "step_memory_mb": memory.step_mb()}

    common.serve_forever(handle)


def keras_worker(folder, size, steps, job="finetune", precision="fp32"):
    import keras
    import numpy as np

    import keras_mm
    from keras_mm.training import enable_lora
    from keras_mm.training.freezing import freeze_tower
    from keras_mm.training.freezing import parameter_counts

    batch = SIZES[size]["batch"]
    if precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras_mm.models.load_pretrained(folder)
    if job == "finetune":
        freeze_tower(model, "image")
        enable_lora(model, rank=LORA_RANK, towers=["text"])
    model.compile()  # keras_mm's defaults (AdamW, per-backend settings)
    trainable = parameter_counts(model)["trainable"]
    data = _random_batch(np, size, steps)
    model.fit(data, batch_size=batch, epochs=1, verbose=0)  # warm-up
    _serve_rounds(
        lambda: model.fit(data, batch_size=batch, epochs=1, verbose=0),
        batch * steps, trainable)


def _torch_inputs(np, torch, size, steps):
    data = _random_batch(np, size, steps)
    mean = np.asarray(OPENAI_MEAN, "float32") * 255
    std = np.asarray(OPENAI_STD, "float32") * 255
    images = (data["images"] - mean) / std
    return (torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
            torch.from_numpy(data["token_ids"]).long())


def _hf_peft_model(folder):
    import peft
    import transformers

    model = transformers.CLIPModel.from_pretrained(folder)
    model.vision_model.requires_grad_(False)
    config = peft.LoraConfig(
        r=LORA_RANK, lora_alpha=LORA_RANK, lora_dropout=0.0,
        target_modules=(r"text_model\.encoder\.layers\.\d+\.self_attn\."
                        r"(q_proj|k_proj|v_proj|out_proj)"))
    model = peft.get_peft_model(model, config)

    def loss(images, tokens):
        return model(input_ids=tokens, pixel_values=images,
                     return_loss=True).loss

    return model, loss


def open_clip_clip(s):
    """open_clip's CLIP at the sizes `s` (a SIZES entry), QuickGELU as
    OpenAI's ViT-B/32."""
    import open_clip

    return open_clip.model.CLIP(
        embed_dim=s["projection_dim"],
        vision_cfg=dict(image_size=s["image_size"],
                        patch_size=s["patch_size"], width=s["image_width"],
                        layers=s["image_layers"],
                        head_width=s["image_width"] // s["image_heads"]),
        text_cfg=dict(context_length=s["sequence_length"],
                      vocab_size=VOCABULARY_SIZE, width=s["text_width"],
                      heads=s["text_heads"], layers=s["text_layers"]),
        quick_gelu=True, output_dict=True)


def _open_clip_model(size):
    from open_clip.loss import ClipLoss

    model = open_clip_clip(SIZES[size])
    model.lock_image_tower()
    clip_loss = ClipLoss()

    def loss(images, tokens):
        out = model(images, tokens)
        return clip_loss(out["image_features"], out["text_features"],
                         out["logit_scale"])

    return model, loss


def torch_peer_worker(name, folder, size, steps, precision="fp32"):
    import numpy as np
    import torch

    torch.set_num_threads(os.cpu_count())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "hf_peft":
        model, loss_fn = _hf_peft_model(folder)
    else:
        model, loss_fn = _open_clip_model(size)
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    optimizer = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.05)
    images, tokens = (t.to(device)
                      for t in _torch_inputs(np, torch, size, steps))
    batch = SIZES[size]["batch"]
    autocast = precision == "bf16"

    def step(i):
        sl = slice(i * batch, (i + 1) * batch)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=autocast):
            loss = loss_fn(images[sl], tokens[sl])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(steps):  # warm-up
        step(i)
    _serve_rounds(lambda: [step(i) for i in range(steps)], batch * steps,
                  trainable)


def _prepare_folder(folder, size):
    """Writes the random CLIP folder in a child process (the controller
    stays free of Keras), unless `folder` already holds one."""
    if os.path.exists(os.path.join(folder, "config.json")):
        return
    subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--write-folder", folder,
         "--size", size],
        check=True, env=common._worker_environ({"KERAS_BACKEND": "jax"}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None,
                        help="measured rounds (default 3; 1 with --tiny)")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per round (default 5; 2 with --tiny)")
    parser.add_argument("--tiny", action="store_true",
                        help="a small CLIP, to check the script in minutes")
    parser.add_argument("--folder", default=None,
                        help="where the random CLIP folder is written (or "
                        "reused when it exists); default a temporary one")
    parser.add_argument("--open-clip-python", default=None,
                        help="interpreter with torch, transformers, peft "
                        "and open_clip for the peers")
    parser.add_argument("--precision", choices=("fp32", "bf16"),
                        default="fp32", help="bf16: keras_mm under "
                        "mixed_bfloat16, the peers under torch.autocast")
    parser.add_argument("--batch", type=int, default=None,
                        help="samples per step (default 32; 8 with --tiny)")
    parser.add_argument("--no-full-training", action="store_true",
                        help="skip the reference run of each backend "
                        "training every weight (memory of a frozen tower "
                        "against a trained one)")
    parser.add_argument("--worker", choices=(*BACKENDS, *PEERS))
    parser.add_argument("--job", choices=("finetune", "full_training"),
                        default="finetune", help=argparse.SUPPRESS)
    parser.add_argument("--write-folder", default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=tuple(SIZES), default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = args.size or ("tiny" if args.tiny else "full")
    rounds = args.rounds or (1 if args.tiny else 3)
    steps = args.steps or (2 if args.tiny else 5)
    if args.batch:
        SIZES[size]["batch"] = args.batch
    if args.write_folder:
        return write_clip_folder(args.write_folder, size)
    if args.worker in PEERS:
        return torch_peer_worker(args.worker, args.folder, size, steps,
                                 args.precision)
    if args.worker:
        return keras_worker(args.folder, size, steps, args.job,
                            args.precision)

    temporary = args.folder is None
    folder = args.folder or os.path.join(
        tempfile.mkdtemp(prefix="finetune_clip_"), "clip")
    try:
        _prepare_folder(folder, size)
        figures = _measure(args, folder, size, rounds, steps)
    finally:
        if temporary:
            shutil.rmtree(os.path.dirname(folder), ignore_errors=True)
    name = ("finetune_throughput" + ("_tiny" if size == "tiny" else "")
            + ("_bf16" if args.precision == "bf16" else ""))
    print("wrote", common.write_results(name, figures))


def _measure(args, folder, size, rounds, steps):
    script = os.path.abspath(__file__)
    worker_args = ["--folder", folder, "--size", size, "--steps", str(steps),
                   "--precision", args.precision,
                   "--batch", str(SIZES[size]["batch"])]
    workers = [
        common.Worker(b, [sys.executable, script, "--worker", b,
                          *worker_args], env={"KERAS_BACKEND": b})
        for b in BACKENDS
    ]
    if args.open_clip_python:
        workers += [
            common.Worker(peer, [args.open_clip_python, script, "--worker",
                                 peer, *worker_args])
            for peer in PEERS
        ]
    replies = {w.name: [] for w in workers}
    for _ in range(rounds):
        for worker in workers:
            replies[worker.name].append(worker.run("run"))
    for worker in workers:
        worker.close()
    # Not a contender: one round per backend with every weight trained, for
    # the step memory a frozen image tower and LoRA save.
    full = {}
    if not args.no_full_training:
        for b in BACKENDS:
            worker = common.Worker(
                b, [sys.executable, script, "--worker", b, "--job",
                    "full_training", *worker_args], env={"KERAS_BACKEND": b})
            full[b] = worker.run("run")
            worker.close()

    samples = {k: [r["samples_per_s"] for r in v] for k, v in
               replies.items()}
    median = {k: statistics.median(v) for k, v in samples.items()}
    ours = {k: v for k, v in median.items() if k in BACKENDS}
    best = max(ours, key=ours.get)
    s = SIZES[size]
    figures = {
        "size": size,
        "precision": args.precision,
        "model": s,
        "lora_rank": LORA_RANK,
        "steps": steps,
        "samples_per_s": median,
        "rounds": samples,
        "best_backend": best,
        "trainable_parameters": {k: v[-1]["trainable_parameters"]
                                 for k, v in replies.items()},
        "peak_rss_mb": {k: v[-1]["peak_rss_mb"] for k, v in replies.items()},
        "step_memory_mb": {k: v[-1]["step_memory_mb"]
                           for k, v in replies.items()},
        "machine": common.machine(backend="all", device="cpu"),
    }
    if full:
        figures["full_training"] = {
            "samples_per_s": {b: r["samples_per_s"] for b, r in full.items()},
            "peak_rss_mb": {b: r["peak_rss_mb"] for b, r in full.items()},
            "step_memory_mb": {b: r["step_memory_mb"]
                               for b, r in full.items()},
            "trainable_parameters": {b: r["trainable_parameters"]
                                     for b, r in full.items()},
        }
        figures["step_memory_finetune_over_full_training"] = {
            b: figures["step_memory_mb"][b] / r["step_memory_mb"]
            for b, r in full.items()
            if r["step_memory_mb"] and figures["step_memory_mb"][b]}
    peers = {k: v for k, v in median.items() if k in PEERS}
    if peers:
        best_peer = max(peers, key=peers.get)
        figures["best_peer"] = best_peer
        figures["ratio_best_over_best_peer"] = ours[best] / peers[best_peer]
        figures["ratio_worst_over_best_peer"] = (
            min(ours.values()) / peers[best_peer])
    step_mb = figures["step_memory_mb"]
    rows = [(k, f"{median[k]:.1f}", f"{figures['peak_rss_mb'][k]:.0f}",
             f"{step_mb[k]:.0f}" if step_mb[k] is not None else "-",
             figures["trainable_parameters"][k],
             f"{median[k] / max(peers.values()):.2f}x" if peers else "-")
            for k in median]
    rows += [(f"{b} (all weights trained)", f"{r['samples_per_s']:.1f}",
              f"{r['peak_rss_mb']:.0f}",
              f"{r['step_memory_mb']:.0f}" if r["step_memory_mb"] else "-",
              r["trainable_parameters"], "-") for b, r in full.items()]
    common.print_table(rows, ("contender", "samples/s", "peak RSS MB",
                              "step MB", "trainable", "vs best peer"))
    return figures


if __name__ == "__main__":
    main()
