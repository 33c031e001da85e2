"""Shared pieces of the benchmarks: machine facts, workers, matmul peak."""

import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

# KERAS_MM_BENCH_RESULTS redirects the JSON files (tests, gpu.sh).
RESULTS = os.environ.get("KERAS_MM_BENCH_RESULTS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "results")


def machine(backend=None, device="cpu"):
    """A description of where the numbers were measured."""
    return {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        **_cpu_model(),
        "python": platform.python_version(),
        "backend": backend,
        "device": device,
        "glibc_tunables": {
            name: _worker_environ({"KERAS_BACKEND": name}).get(
                "GLIBC_TUNABLES")
            for name in ("jax", "tensorflow", "torch")},
    }


# Vector units that decide int8/bf16/fp32 speed (an AVX2-only EPYC and an
# AMX Xeon give different ratios on the same code).
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8",
             "amx_bf16")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in info.splitlines()
                  if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    return {"cpu_model": fields.get("model name"),
            "cpu_isa": [f for f in ISA_FLAGS if f in flags]}


def _worker_environ(env=None):
    # Imported here: the peer's worker (another virtualenv) imports this
    # module too, without keras_mm.
    from keras_mm.backend import tuned_environ

    return tuned_environ({**os.environ, **(env or {})})


def write_results(name, figures):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path, "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
    return path


def load_average():
    """The 1, 5 and 15 minute load averages (figures taken under load)."""
    return list(os.getloadavg())


def print_table(rows, headers):
    widths = [max(len(str(r[i])) for r in [headers, *rows])
              for i in range(len(headers))]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{str(c):<{w}}" for c, w in zip(row, widths)))


def matmul_peak_gflops(size=2048, repeats=10):
    """Best float32 GEMM throughput of NumPy's BLAS on this machine."""
    a = np.random.rand(size, size).astype(np.float32)
    b = np.random.rand(size, size).astype(np.float32)
    a @ b
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


class Worker:
    """A long-lived subprocess that answers `run N` with one JSON line.

    Keeping each contender warm in its own process lets the controller
    interleave measured rounds (A B C D A B C D …) without recompiling.
    Every contender, the peer included, starts with the environment that
    keras_mm's launchers give its backend (`keras_mm.backend.tuned_environ`:
    glibc's malloc on transparent huge pages, and on jax keeping what it
    frees), so they differ only in framework.
    """

    def __init__(self, name, command, env=None):
        self.name = name
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
            env=_worker_environ(env),
        )
        self.ready = self._read()

    def _read(self):
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {self.name} exited")
            if line.startswith("{"):
                return json.loads(line)

    def run(self, argument):
        self.process.stdin.write(f"{argument}\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


def baseline_workers(tree, script_name, backends, worker_args):
    """One worker per backend running another checkout of keras_mm.

    `tree` is a second checkout (e.g. `git worktree add /tmp/old <rev>`);
    its own copy of the benchmark script runs with that tree first on the
    path, so old and new code are measured interleaved in one run.
    """
    tree = os.path.abspath(tree)
    script = os.path.join(tree, "benchmarks", script_name)
    return [
        Worker(f"{b}@baseline", [sys.executable, script, "--worker", b,
                                 *worker_args],
               env={"KERAS_BACKEND": b, "PYTHONPATH": tree})
        for b in backends
    ]


def baseline_figures(tree, current, baseline, faster="higher"):
    """The baseline tree's commit and each backend's ratio new/old.

    `current` and `baseline` map a backend to one figure; the ratio is
    taken so that above 1 means the current tree is faster.
    """
    ratios = {}
    for name, value in current.items():
        old = baseline[name]
        ratios[name] = value / old if faster == "higher" else old / value
    commit = subprocess.run(["git", "-C", tree, "rev-parse", "--short",
                             "HEAD"], capture_output=True, text=True)
    return {"baseline_commit": commit.stdout.strip() or None,
            "ratio_over_baseline": ratios}


def serve_forever(handle):
    """Worker side: announce readiness, then answer each stdin line."""
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps(handle(line.strip())), flush=True)
