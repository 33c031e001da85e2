"""Peak training-step memory: exact accumulation and remat.

    KERAS_BACKEND=jax python benchmarks/memory.py

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

import json
import os
import platform
import resource
import subprocess
import sys

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


def main():
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
    path = os.path.join(ROOT, "benchmarks", "results", "memory.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
