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
  batch B without.
"""

import json
import os
import platform
import resource
import subprocess
import sys

B = 64
HIDDEN, LAYERS = 64, 2


def measure(batch, k, remat):
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    import keras
    import numpy as np

    from keras_mm.quickstart import build_model
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
    return {"temp_bytes": int(temp), "max_rss_bytes": int(rss)}


def _run(batch, k, remat):
    code = (f"import json, sys; sys.path.insert(0, {ROOT!r}); "
            f"from benchmarks.memory import measure; "
            f"print('RESULT', json.dumps(measure({batch}, {k}, {remat})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True,
                         env=dict(os.environ, KERAS_BACKEND="jax",
                                  PYTHONPATH=ROOT)).stdout
    line = next(s for s in out.splitlines() if s.startswith("RESULT"))
    return json.loads(line.split(" ", 1)[1])


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    runs = {
        "batch_4B": _run(4 * B, 1, False),
        "batch_4B_k4": _run(4 * B, 4, False),
        "batch_B": _run(B, 1, False),
        "batch_B_remat": _run(B, 1, True),
    }
    temp = {k: v["temp_bytes"] for k, v in runs.items()}
    result = {
        "accumulation_ratio": temp["batch_4B_k4"] / temp["batch_4B"],
        "remat_ratio": temp["batch_B_remat"] / temp["batch_B"],
        "runs": runs,
        "config": {"B": B, "k": 4, "hidden_dim": HIDDEN, "layers": LAYERS,
                   "measure": "XLA memory_analysis temp_size_in_bytes of "
                   "the compiled train_step (JAX, CPU); ru_maxrss also"},
        "machine": {"cores": os.cpu_count(), "backend": "jax",
                    "device": "cpu", "platform": platform.platform()},
    }
    print(f"{'configuration':<16}{'step temp MiB':>14}{'max RSS MiB':>13}")
    for name, r in runs.items():
        print(f"{name:<16}{r['temp_bytes'] / 2**20:>14.1f}"
              f"{r['max_rss_bytes'] / 2**20:>13.1f}")
    print(f"accumulation_ratio {result['accumulation_ratio']:.3f} "
          f"(goal <= 0.4); remat_ratio {result['remat_ratio']:.3f} "
          f"(goal <= 0.7)")
    path = os.path.join(ROOT, "benchmarks", "results", "memory.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
