"""Loading a full-size CLIP checkpoint: time and peak memory vs transformers.

    python benchmarks/checkpoint_load.py [--rounds 3] [--backends jax,torch]

What is measured (the goal: a large checkpoint loads without doubling
memory): a `CLIPModel` with `CLIPConfig()`'s default sizes (those of
openai/clip-vit-base-patch32, ~151 M parameters, random weights) is written
by transformers into a temporary folder, with a CLIP tokenizer of the full
49,408-token vocabulary (OpenAI's merges) and a `CLIPImageProcessor`.
Nothing is downloaded. Each contender then loads that folder in its own
fresh subprocess, once per round, the contenders interleaved:

- transformers: `CLIPModel.from_pretrained(folder)` (torch);
- keras_mm on each Keras backend: `keras_mm.models.load_pretrained(folder)`
  (the model, its tokenizer and image preprocessing).

In each subprocess the framework is imported first (torch + transformers;
keras + keras_mm + keras-hub and TensorFlow, which the CLIP tokenizer runs
on) and its resident set read (`baseline_rss_bytes`: VmRSS), the peak is
then reset (Linux
`/proc/self/clear_refs` 5) so that `peak_rss_bytes` (VmHWM after the load)
is the load's own peak, and the load is timed. Reported per keras_mm
backend, medians over rounds:

- `peak_rss_over_weights` = (peak RSS - baseline RSS) / weights_bytes,
  weights_bytes being the float32 tensors' bytes in `model.safetensors`
  (goal: <= 1.5);
- `ratio_load_time_over_transformers` = keras_mm's load seconds /
  transformers' (< 1 is faster). keras_mm's load also builds the 49k-token
  tokenizer and image preprocessor, transformers' `CLIPModel` does not;
  `transformers_with_processor` (`CLIPProcessor.from_pretrained` too) is
  reported beside it for that comparison. transformers memory-maps
  `model.safetensors`, so its weights are file pages that become resident
  only when read: its `rss_after_reading_weights_bytes` is the RSS after
  one pass over every parameter.

Every subprocess runs with glibc's default allocator settings, as a
user's own script does (`--tuned-allocator`: the training launchers'
settings, which on jax and torch keep freed memory for speed).
"""

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.common import _worker_environ  # noqa: E402
from benchmarks.common import machine  # noqa: E402
from benchmarks.common import print_table  # noqa: E402
from benchmarks.common import write_results  # noqa: E402

MERGES = os.path.join(ROOT, "keras_mm", "models", "clip", "assets",
                      "bpe_simple_vocab_16e6.txt.gz")
VOCABULARY_SIZE = 49408  # 256 bytes, 256 word-final bytes, merges, 2 special
BACKENDS = ("jax", "tensorflow", "torch")


def write_vocabulary(folder):
    """OpenAI's full CLIP `vocab.json` + `merges.txt` (49,408 tokens)."""
    from keras_mm.models.clip.clip_text_preprocessor import _byte_symbols

    num_merges = VOCABULARY_SIZE - 2 * 256 - 2
    with gzip.open(MERGES, "rt", encoding="utf-8") as f:
        merges = f.read().split("\n")[1:num_merges + 1]
    symbols = list(_byte_symbols())
    vocabulary = symbols + [s + "</w>" for s in symbols]
    vocabulary += ["".join(m.split()) for m in merges]
    vocabulary += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocabulary) == VOCABULARY_SIZE, len(vocabulary)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(vocabulary)}, f)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


def write_checkpoint(folder):
    """A ViT-B/32-size `CLIPModel` folder, written by transformers."""
    import torch
    from transformers import CLIPConfig
    from transformers import CLIPImageProcessor
    from transformers import CLIPModel
    from transformers import CLIPTokenizer

    os.makedirs(folder, exist_ok=True)
    write_vocabulary(folder)
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig())
    model.save_pretrained(folder)
    CLIPTokenizer(os.path.join(folder, "vocab.json"),
                  os.path.join(folder, "merges.txt")).save_pretrained(folder)
    CLIPImageProcessor().save_pretrained(folder)
    return {"parameters": sum(p.numel() for p in model.parameters())}


def weights_bytes(folder):
    """Bytes of the tensors in the folder's safetensors file (its header
    lists every tensor's byte range)."""
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    return sum(end - start for name, entry in header.items()
               if name != "__metadata__"
               for start, end in [entry["data_offsets"]])


# --- subprocess side ---------------------------------------------------------


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak():
    """Sets VmHWM to the current RSS (Linux >= 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(contender, folder):
    """Imports the framework, then loads `folder`; one JSON line."""
    import time

    if contender.startswith("transformers"):
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from transformers import CLIPModel
        from transformers import CLIPProcessor

        def load():
            model = CLIPModel.from_pretrained(folder)
            if contender == "transformers_with_processor":
                return model, CLIPProcessor.from_pretrained(folder)
            return model
    else:
        import keras  # noqa: F401
        # The CLIP tokenizer runs on keras-hub (which imports TensorFlow):
        # framework, imported before the baseline on every backend.
        import keras_hub  # noqa: F401
        import tensorflow  # noqa: F401

        import keras_mm  # noqa: F401
        from keras_mm.models import load_pretrained

        assert keras.backend.backend() == contender, keras.backend.backend()

        def load():
            return load_pretrained(folder)

    baseline = _status("VmRSS")
    reset = _reset_peak()
    start = time.perf_counter()
    model = load()
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    result = {"baseline_rss_bytes": baseline, "peak_rss_bytes": peak,
              "load_seconds": seconds, "peak_reset": reset}
    if contender == "transformers":
        # transformers maps model.safetensors and its parameters stay
        # file pages until first read: the RSS once every weight is read.
        import torch

        with torch.no_grad():
            for parameter in model.parameters():
                parameter.sum()
        result["rss_after_reading_weights_bytes"] = _status("VmRSS")
    return result


# --- controller side ---------------------------------------------------------


def _run(contender, folder, tuned_allocator=False):
    backend = contender if contender in BACKENDS else "torch"
    code = ("import json, sys; "
            f"sys.path.insert(0, {ROOT!r}); "
            "from benchmarks.checkpoint_load import measure; "
            f"print('RESULT', json.dumps(measure({contender!r}, "
            f"{folder!r})))")
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": ROOT,
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("GLIBC_TUNABLES", None)
    if tuned_allocator:
        env = _worker_environ(env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{contender} failed:\n{out.stderr[-3000:]}")
    line = next(s for s in out.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line.split(" ", 1)[1])


def _summary(runs, weights):
    median = statistics.median
    load = median(r["peak_rss_bytes"] - r["baseline_rss_bytes"]
                  for r in runs)
    return {
        "load_seconds": median(r["load_seconds"] for r in runs),
        "baseline_rss_bytes": int(median(r["baseline_rss_bytes"]
                                         for r in runs)),
        "peak_rss_bytes": int(median(r["peak_rss_bytes"] for r in runs)),
        "load_rss_bytes": int(load),
        "peak_rss_over_weights": load / weights,
        "runs": runs,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--folder", help="reuse a folder written before")
    parser.add_argument(
        "--tuned-allocator", action="store_true",
        help="run every contender with keras_mm.backend.tuned_environ "
        "(the training launchers' glibc settings; on jax and torch they "
        "keep freed memory, which raises peaks)")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    peers = ["transformers", "transformers_with_processor"]

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or os.path.join(tmp, "clip-vit-b-32-random")
        if not args.folder:
            os.makedirs(folder)
            print("writing", folder, write_checkpoint(folder), flush=True)
        weights = weights_bytes(folder)
        runs = {name: [] for name in peers + backends}
        for round_index in range(args.rounds):
            for name in runs:
                runs[name].append(_run(name, folder, args.tuned_allocator))
                print(f"round {round_index} {name}: {runs[name][-1]}",
                      flush=True)

    figures = {name: _summary(r, weights) for name, r in runs.items()}
    peer = figures["transformers"]
    for backend in backends:
        ours = figures[backend]
        ours["ratio_load_time_over_transformers"] = (
            ours["load_seconds"] / peer["load_seconds"])
        ours["ratio_load_time_over_transformers_with_processor"] = (
            ours["load_seconds"]
            / figures["transformers_with_processor"]["load_seconds"])
    rows = [[name, f"{f['load_seconds']:.2f}",
             f"{f['baseline_rss_bytes'] / 2**20:.0f}",
             f"{f['peak_rss_bytes'] / 2**20:.0f}",
             f"{f['peak_rss_over_weights']:.2f}",
             f"{f.get('ratio_load_time_over_transformers', 1):.2f}"]
            for name, f in figures.items()]
    print_table(rows, ["contender", "load s", "baseline MiB", "peak MiB",
                       "(peak-base)/weights", "time / transformers"])
    worst = max(backends, key=lambda b: figures[b]["peak_rss_over_weights"])
    slowest = max(backends, key=lambda b: figures[b][
        "ratio_load_time_over_transformers"])
    result = {
        # Top level: the worst backend's figures (per backend below).
        "peak_rss_over_weights": figures[worst]["peak_rss_over_weights"],
        "peak_rss_over_weights_backend": worst,
        "ratio_load_time_over_transformers": figures[slowest][
            "ratio_load_time_over_transformers"],
        "ratio_load_time_over_transformers_backend": slowest,
        "weights_bytes": weights,
        "backends": {b: figures[b] for b in backends},
        "transformers": figures["transformers"],
        "transformers_with_processor": figures[
            "transformers_with_processor"],
        "config": {
            "rounds": args.rounds,
            "allocator": "keras_mm.backend.tuned_environ" if
            args.tuned_allocator else "glibc defaults (GLIBC_TUNABLES unset)",
            "checkpoint": "transformers CLIPConfig() defaults "
            "(openai/clip-vit-base-patch32 sizes), random weights, "
            "model.safetensors float32; CLIPTokenizer with the full 49,408 "
            "vocabulary; CLIPImageProcessor defaults",
            "measure": "each load in a fresh subprocess; baseline = VmRSS "
            "after importing the framework (keras, keras_mm, keras_hub, "
            "tensorflow on the backend; torch + transformers), peak = VmHWM after the load with the "
            "peak reset (clear_refs 5) after the imports; medians over "
            "rounds; peak_rss_over_weights = (peak - baseline) / "
            "weights_bytes",
        },
        "machine": {**machine(backend=",".join(backends)),
                    "memory_bytes": os.sysconf("SC_PAGE_SIZE")
                    * os.sysconf("SC_PHYS_PAGES")},
    }
    print(json.dumps({b: {k: figures[b][k] for k in (
        "peak_rss_over_weights", "ratio_load_time_over_transformers")}
        for b in backends}, indent=1))
    print("wrote", write_results("checkpoint_load", result))
    return result


if __name__ == "__main__":
    main()
