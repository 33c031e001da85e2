import os
import subprocess
import sys

from bench_runner import BENCHMARKS

SCRIPT = os.path.join(BENCHMARKS, "gpu.sh")


def _gpu_sh(*args):
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True,
                          text=True, timeout=300)


def test_dry_run_checks_every_step_without_installing(tmp_path):
    venv = tmp_path / "venv"
    out = _gpu_sh("--dry-run", "--python", sys.executable, "--venv",
                  str(venv), "--batch", "64")
    assert out.returncode == 0, out.stderr
    commands = [line for line in out.stdout.splitlines()
                if line.startswith("+ ")]
    installs = " ".join(c for c in commands if "pip install" in c)
    assert "jax[cuda12]" in installs and "torch" in installs
    for script in ("train_throughput.py", "finetune_throughput.py",
                   "inference_latency.py"):
        run = next(c for c in commands if script in c)
        assert "--open-clip-python" in run
    inference = next(c for c in commands if "inference_latency.py" in c)
    assert "--precision bf16" in inference and "--batches 1,64" in inference
    assert "gpu_*.json" in out.stdout
    assert not venv.exists()  # nothing installed


def test_bad_flag_is_named():
    out = _gpu_sh("--batch", "many")
    assert out.returncode == 2
    assert "--batch expects a positive integer" in out.stderr
