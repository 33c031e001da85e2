"""Peak training-step memory: exact accumulation and remat.

    python benchmarks/memory.py [--sections xla,vit_b32]
        [--backends jax,tensorflow,torch] [--tiny]

Two sections, each written under its own keys of memory.json (a section not
run keeps the figures already there):

`vit_b32`: the ViT-B/32 CLIP (as built by finetune_throughput.py), every
weight trained, batch 32, AdamW, per backend: each configuration (plain,
every transformer block rematerialised, exact accumulation k=4 over the
same batch 32) runs in a fresh subprocess. Baseline: the resident memory
once the model, the optimizer state and the batch exist. After one
warm-up step (compilation), freed heap is trimmed and the kernel's peak
RSS counter reset (`/proc/self/clear_refs`); the next step's peak RSS
minus the baseline is the step's activation memory (activations kept for
the backward pass, gradients, workspace). On a GPU the device's peak
bytes in use replace RSS. `remat_ratio` and `accumulation_ratio` are
activation memory over the plain step's. `--tiny` runs a small CLIP
(memory_tiny.json).

`xla` (JAX only, the small model below):

What is measured: each configuration runs in its own subprocess under JAX;
the Keras `train_step` is compiled with `jax.jit(...).lower(...).compile()`
and XLA's `memory_analysis().temp_size_in_bytes` is read: the step's peak
temporary buffers (activations kept for the backward pass, gradients,
workspace), excluding parameters, optimizer state and inputs. The
subprocess's `ru_maxrss` after one real step is reported too (coarse: it
includes the Python/JAX runtime).

- accumulation_ratio: batch 4B with k=4 exact accumulation / batch 4B.
- remat_ratio: batch B with every transformer block rematerialised /
  batch B without (step temp bytes). Also reported: the ratio of the
  activations saved for the backward pass (`jax.vjp` residuals), and the
  temp ratio under XLA:CPU's default scheduler, which runs recomputations
  early and so shows no saving: the remat itself is real
  (`jax.checkpoint`), the default CPU scheduling undoes it, hence
  `--xla_cpu_enable_concurrency_optimized_scheduler=false` here.

Remat per backend (`keras.remat`): jax -> `jax.checkpoint`, torch ->
`torch.utils.checkpoint` (non-reentrant), tensorflow -> `tf.recompute_grad`
(KERAS_NOTES: only `mode="activations"` inside compiled `fit`). This
benchmark measures on JAX only, where XLA reports the compiled step's
memory exactly.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import finetune_throughput  # noqa: E402

# XLA:CPU's default scheduler runs recomputations early, keeping them alive
# and undoing remat; this flag runs each just before its backward step.
SCHEDULER_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"
B = 64
HIDDEN, LAYERS = 64, 2


def measure(batch, k, remat):
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    import keras
    import numpy as np

    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )
    from keras_mm.training import enable_remat

    keras.utils.set_random_seed(0)
    model = build_model(256, HIDDEN, LAYERS, 4, projection_dim=64)
    if remat:
        enable_remat(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), accumulation_steps=k)
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    x = {"images": rng.uniform(0, 255, (batch, 32, 32, 3)).astype("float32"),
         "token_ids": rng.integers(1, 256, (batch, 32)).astype("int32"),
         "padding_mask": np.ones((batch, 32), bool)}
    state = ([v.value for v in model.trainable_variables],
             [v.value for v in model.non_trainable_variables],
             [v.value for v in model.optimizer.variables],
             [v.value for v in model.metrics_variables])
    compiled = jax.jit(model.train_step).lower(state, (x,)).compile()
    temp = compiled.memory_analysis().temp_size_in_bytes
    compiled(state, (x,))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {"temp_bytes": int(temp), "max_rss_bytes": int(rss)}
    if k == 1:
        result["residual_bytes"] = _residual_bytes(model, state, x)
    return result


def _residual_bytes(model, state, x):
    """Bytes the forward pass keeps for the backward pass (activations).

    `jax.vjp` returns the backward function closed over exactly the
    residuals it saved; parameters and inputs are not counted.
    """
    import jax

    trainable, non_trainable, optimizer_vars, metrics = state

    def loss(trainable, x):
        return model.compute_loss_and_updates(
            trainable, non_trainable, metrics, x, None, None, training=True,
            optimizer_variables=optimizer_vars)[0]

    _, backward = jax.vjp(loss, trainable, x)
    args = {id(a) for a in jax.tree.leaves((state, x))}
    return int(sum(a.nbytes for a in jax.tree.leaves(backward)
                   if id(a) not in args))


def _run(batch, k, remat, scheduler=SCHEDULER_FLAG):
    code = (f"import json, sys; sys.path.insert(0, {ROOT!r}); "
            f"from benchmarks.memory import measure; "
            f"print('RESULT', json.dumps(measure({batch}, {k}, {remat})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True,
                         env=dict(os.environ, KERAS_BACKEND="jax",
                                  PYTHONPATH=ROOT,
                                  XLA_FLAGS=scheduler)).stdout
    line = next(s for s in out.splitlines() if s.startswith("RESULT"))
    return json.loads(line.split(" ", 1)[1])


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def xla_section():
    runs = {
        "batch_4B": _run(4 * B, 1, False),
        "batch_4B_k4": _run(4 * B, 4, False),
        "batch_B": _run(B, 1, False),
        "batch_B_remat": _run(B, 1, True),
        # The same pair under XLA:CPU's default scheduler, for the record.
        "batch_B_default_scheduler": _run(B, 1, False, scheduler=""),
        "batch_B_remat_default_scheduler": _run(B, 1, True, scheduler=""),
    }
    temp = {k: v["temp_bytes"] for k, v in runs.items()}
    saved = {k: v.get("residual_bytes") for k, v in runs.items()}
    result = {
        "accumulation_ratio": temp["batch_4B_k4"] / temp["batch_4B"],
        "remat_ratio": temp["batch_B_remat"] / temp["batch_B"],
        "remat_saved_activation_ratio": (saved["batch_B_remat"]
                                         / saved["batch_B"]),
        "remat_ratio_default_scheduler": (
            temp["batch_B_remat_default_scheduler"]
            / temp["batch_B_default_scheduler"]),
        "runs": runs,
        "config": {"B": B, "k": 4, "hidden_dim": HIDDEN, "layers": LAYERS,
                   "xla_flags": SCHEDULER_FLAG,
                   "measure": "temp_bytes: XLA memory_analysis "
                   "temp_size_in_bytes of the compiled train_step (JAX, CPU, "
                   "memory-minimising scheduler): the step's peak live "
                   "activations, gradients and workspace; residual_bytes: "
                   "activations the forward pass saves for the backward "
                   "pass (jax.vjp residuals); ru_maxrss also (coarse)"},
        "machine": {"cores": os.cpu_count(), "backend": "jax",
                    "device": "cpu", "platform": platform.platform()},
    }
    print(f"{'configuration':<32}{'step temp MiB':>14}{'saved MiB':>11}"
          f"{'max RSS MiB':>13}")
    for name, r in runs.items():
        saved_mib = (f"{r['residual_bytes'] / 2**20:>11.1f}"
                     if "residual_bytes" in r else f"{'-':>11}")
        print(f"{name:<32}{r['temp_bytes'] / 2**20:>14.1f}{saved_mib}"
              f"{r['max_rss_bytes'] / 2**20:>13.1f}")
    print(f"accumulation_ratio {result['accumulation_ratio']:.3f} "
          f"(goal <= 0.4); remat_ratio {result['remat_ratio']:.3f} "
          f"(goal <= 0.7; saved activations "
          f"{result['remat_saved_activation_ratio']:.3f}; with XLA:CPU's "
          f"default scheduler {result['remat_ratio_default_scheduler']:.3f}"
          f", which recomputes early)")
    return result


# ---- ViT-B/32 per backend: peak RSS (device memory on a GPU) ----------

BACKENDS = ("jax", "tensorflow", "torch")
MODES = ("plain", "remat", "accumulation")
ACCUMULATION_STEPS = 4


def _proc_status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_host_peak():
    """Returns freed heap to the system, then restarts VmHWM from VmRSS."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _device_memory(backend):
    """(bytes in use, peak bytes, reset) of the first GPU, or None."""
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return None
        return (torch.cuda.memory_allocated, torch.cuda.max_memory_allocated,
                torch.cuda.reset_peak_memory_stats)
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "gpu":
            return None
        stats = device.memory_stats
        # No reset: the warm-up step's peak is the measured step's.
        return (lambda: stats()["bytes_in_use"],
                lambda: stats()["peak_bytes_in_use"], lambda: None)
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        return None
    info = tf.config.experimental.get_memory_info
    return (lambda: info("GPU:0")["current"], lambda: info("GPU:0")["peak"],
            lambda: tf.config.experimental.reset_memory_stats("GPU:0"))


def measure_step(size, mode, batch):
    """One configuration's memory figures (run in a fresh process)."""
    import keras
    import numpy as np

    from keras_mm.training import enable_remat

    backend = keras.backend.backend()
    keras.utils.set_random_seed(0)
    model = finetune_throughput.build_clip_model(
        finetune_throughput.SIZES[size])
    if mode == "remat":
        enable_remat(model)
    model.compile(accumulation_steps=(ACCUMULATION_STEPS
                                      if mode == "accumulation" else 1))
    model.optimizer.build(model.trainable_variables)
    rows = finetune_throughput.SIZES[size]["batch"]
    data = finetune_throughput._random_batch(np, size, -(-batch // rows))
    data = {k: v[:batch] for k, v in data.items()}
    device = _device_memory(backend)
    baseline = device[0]() if device else _proc_status("VmRSS")
    model.fit(data, batch_size=batch, epochs=1, verbose=0)  # compiles
    _reset_host_peak()
    if device:
        device[2]()
    model.fit(data, batch_size=batch, epochs=1, verbose=0)
    peak = device[1]() if device else _proc_status("VmHWM")
    return {"memory": "device" if device else "host_rss",
            "baseline_bytes": baseline, "step_peak_bytes": peak,
            "activation_bytes": peak - baseline,
            "peak_rss_bytes": _proc_status("VmHWM"),
            "max_rss_bytes": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss * 1024}


def _run_step(backend, size, mode, batch):
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--measure-step",
         backend, "--mode", mode, "--size", size, "--batch", str(batch)],
        capture_output=True, text=True,
        env=common._worker_environ({"KERAS_BACKEND": backend,
                                    "PYTHONPATH": ROOT,
                                    "XLA_FLAGS": SCHEDULER_FLAG}))
    if out.returncode:
        raise RuntimeError(f"{backend} {mode} failed:\n{out.stderr[-3000:]}")
    line = next(s for s in out.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line.split(" ", 1)[1])


def vit_b32_section(size, backends, batch):
    runs, errors, load = {}, {}, {}
    for b in backends:
        load[b] = {"start": common.load_average()}
        try:
            runs[b] = {m: _run_step(b, size, m, batch) for m in MODES}
        except RuntimeError as error:  # the other backends still report
            errors[b] = str(error)[-2000:]
            print(error, file=sys.stderr)
        load[b]["end"] = common.load_average()
    act = {b: {m: r["activation_bytes"] for m, r in per.items()}
           for b, per in runs.items()}
    result = {
        "remat_ratio": {b: a["remat"] / a["plain"] for b, a in act.items()},
        "accumulation_ratio": {b: a["accumulation"] / a["plain"]
                               for b, a in act.items()},
        "activation_bytes": act,
        "peak_rss_bytes": {b: {m: r["peak_rss_bytes"] for m, r in
                               per.items()} for b, per in runs.items()},
        "runs": runs,
        "errors": errors,
        "goals": {"remat_ratio": 0.6, "accumulation_ratio": 0.4},
        "config": {"model": finetune_throughput.SIZES[size],
                   "trained": "every weight", "optimizer": "AdamW",
                   "batch": batch,
                   "accumulation_steps": ACCUMULATION_STEPS,
                   "xla_flags": SCHEDULER_FLAG,
                   "measure": "activation_bytes: peak RSS (VmHWM, reset "
                   "after a warm-up step and malloc_trim) of one fit step "
                   "minus the RSS once model, optimizer state and batch "
                   "exist; device bytes in use on a GPU"},
        "load_average": load,
        "machine": common.machine(backend="all", device="cpu"),
    }
    print(f"{'backend':<12}{'mode':<14}{'baseline MiB':>13}"
          f"{'step peak MiB':>15}{'activation MiB':>16}")
    for b, per in runs.items():
        for m, r in per.items():
            print(f"{b:<12}{m:<14}{r['baseline_bytes'] / 2**20:>13.0f}"
                  f"{r['step_peak_bytes'] / 2**20:>15.0f}"
                  f"{r['activation_bytes'] / 2**20:>16.0f}")
    print("remat_ratio", {b: round(v, 3) for b, v in
                          result["remat_ratio"].items()}, "(goal <= 0.6)")
    print("accumulation_ratio", {b: round(v, 3) for b, v in
                                 result["accumulation_ratio"].items()},
          "(goal <= 0.4)")
    return result


PER_BACKEND = ("remat_ratio", "accumulation_ratio", "activation_bytes",
               "peak_rss_bytes", "runs", "errors", "load_average")


def merged_backends(old, new):
    """`new`, keeping the backends of `old` that `new` did not measure,
    when both ran the same model and batch: `--backends tensorflow` then
    replaces TensorFlow's figures only."""
    if not old or old.get("config") != new["config"]:
        return new
    merged = dict(new)
    for key in PER_BACKEND:
        entries = {b: v for b, v in old.get(key, {}).items()
                   if b not in new["runs"] and b not in new["errors"]}
        merged[key] = {**entries, **new.get(key, {})}
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="xla,vit_b32",
                        help="comma-separated: xla, vit_b32")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--tiny", action="store_true",
                        help="a small CLIP, vit_b32 section only")
    parser.add_argument("--batch", type=int, default=None,
                        help="vit_b32 batch (default 32; 8 with --tiny); "
                        "a multiple of 4, the accumulation steps")
    parser.add_argument("--measure-step", choices=BACKENDS,
                        help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=("full", "tiny"), default="full",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    size = "tiny" if args.tiny else args.size
    batch = args.batch or finetune_throughput.SIZES[size]["batch"]
    if batch % ACCUMULATION_STEPS:
        parser.error(f"--batch: expected a multiple of {ACCUMULATION_STEPS}"
                     f", got {batch}")
    if args.measure_step:
        print("RESULT", json.dumps(measure_step(size, args.mode, batch)))
        return None
    sections = [s for s in args.sections.split(",") if s]
    for section in sections:
        if section not in ("xla", "vit_b32"):
            parser.error(f"--sections: expected xla or vit_b32, got "
                         f"{section!r}")
    name = "memory_tiny" if args.tiny else "memory"
    path = os.path.join(common.RESULTS, f"{name}.json")
    result = {}
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
    if "xla" in sections and not args.tiny:
        result.update(xla_section())
    if "vit_b32" in sections or args.tiny:
        backends = [b for b in args.backends.split(",") if b]
        result["vit_b32"] = merged_backends(
            result.get("vit_b32"), vit_b32_section(size, backends, batch))
    print("wrote", common.write_results(name, result))
    return result


if __name__ == "__main__":
    main()
