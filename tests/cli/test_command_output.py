"""Each command, run as a user runs it (its own process, the current
backend): no TensorFlow, absl, CUDA or LiteRT log line and no Python
warning in its output, its first line names the backend and device, its
help describes every flag, and a usage error returns within 2 s."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from keras_mm.cli.main import build_parser

NOISE = re.compile("|".join([
    r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]",  # absl / glog
    r"absl::InitializeLog",
    r"cuInit|cudart|cuda_platform|cuda drivers|CUDA error",
    r"oneDNN custom operations|cpu_feature_guard|rebuild TensorFlow",
    r"TensorFlow Lite|XNNPACK",
    r"^\S+\.py:\d+: \w*Warning: ",  # the `warnings` module's format
    r"^\s*warnings\.warn\(",
    r"^WARNING:(absl|tensorflow|jax)",
]))

# A cheap wrong use of each command, found before anything heavy loads.
USAGE_ERRORS = {
    "align": ["align", "missing.mp4", "missing.srt"],
    "convert": ["convert", "missing", "--out", "x.keras"],
    "data": ["data", "check", "missing.csv"],
    "doctor": ["doctor", "--timeout", "0"],
    "embed": ["embed", "--model", "m.keras", "--out", "x.npy"],
    "eval": ["eval", "--model", "m.keras", "--data", "builtin:dev"],
    "export": ["export", "--model", "missing", "--data", "builtin",
               "--out", "o"],
    "launch": ["launch", "-n", "0", "--", "true"],
    "quickstart": ["quickstart", "--size", "huge"],
    "serve": ["serve", "--model", "m", "--port", "70000"],
    "train": ["train", "--freeze", "imagee"],
}


def run_cli(argv, backend, cwd, timeout=900):
    """`keras-mm *argv` in a fresh process: (CompletedProcess, seconds)."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    env.pop("KERAS_MM_DEFAULT_BACKEND", None)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "keras_mm.cli.main", *argv], env=env,
        cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


def assert_quiet(result):
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    noisy = [line for line in lines if NOISE.search(line)]
    assert not noisy, "\n".join(noisy[:10])


def assert_names_backend(result, backend):
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"[keras-mm] backend {backend} "), first
    assert re.search(r" on (cpu|cuda:\d) \(", first), first


def test_every_command_has_a_usage_error_here():
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    assert set(subparsers.choices) == set(USAGE_ERRORS)


@pytest.mark.parametrize("command", sorted(USAGE_ERRORS))
def test_help_and_usage_error_are_quiet_and_fast(command, backend,
                                                 tmp_path):
    result, _ = run_cli([command, "--help"], backend, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_quiet(result)
    # The better of two tries: a shared test machine can stall any one.
    tries = [run_cli(USAGE_ERRORS[command], backend, tmp_path)
             for _ in range(2)]
    result, seconds = min(tries, key=lambda t: t[1])
    assert result.returncode == 2, result.stdout + result.stderr
    assert_quiet(result)
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: keras-mm")
    assert seconds < 2.0, f"{command}: usage error after {seconds:.1f} s"


def test_version_doctor_and_data_commands_are_quiet(backend, tmp_path):
    result, _ = run_cli(["--version"], backend, tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("keras-mm ")
    result, _ = run_cli(["doctor", "--quick"], backend, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_quiet(result)
    result, _ = run_cli(["data", "write-builtin", "--out", "data",
                         "--train", "4", "--validation", "2", "--test",
                         "2", "--videos", "0"], backend, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_quiet(result)
    result, _ = run_cli(["data", "check", "data/train.csv"], backend,
                        tmp_path)
    assert result.returncode == 0, result.stderr
    assert_quiet(result)


# === Real runs of the model commands (slow: each loads a framework) ===


@pytest.fixture(scope="module")
def quickstart_folder(backend, tmp_path_factory):
    """`keras-mm quickstart --size tiny` run as a user runs it: (result,
    folder); it trains, evaluates and exports to LiteRT."""
    tmp = tmp_path_factory.mktemp("quiet_quickstart")
    result, _ = run_cli(["quickstart", "--size", "tiny", "--out", "qs"],
                        backend, tmp)
    return result, tmp / "qs"


@pytest.mark.large
def test_quickstart_run_is_quiet(quickstart_folder, backend):
    result, _ = quickstart_folder
    assert result.returncode == 0, result.stderr[-2000:]
    assert_names_backend(result, backend)
    assert_quiet(result)


@pytest.mark.large
@pytest.mark.parametrize("command", ["eval", "embed", "export", "train"])
def test_model_command_run_is_quiet(command, quickstart_folder, backend,
                                    tmp_path):
    model = str(quickstart_folder[1] / "model.keras")
    argv = {
        "eval": ["eval", "--model", model, "--data", "builtin:test",
                 "--num-samples", "16", "--out", "eval"],
        "embed": ["embed", "--model", model, "--text", "a red circle",
                  "--out", "e.npy"],
        "export": ["export", "--model", model, "--data", "builtin",
                   "--out", "export", "--quantize", "dynamic",
                   "--eval-size", "16", "--representative-size", "8",
                   "--max-r1-drop", "1"],
        "train": ["train", "--out", "run", "--epochs", "1"],
    }[command]
    result, _ = run_cli(argv, backend, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_names_backend(result, backend)
    assert_quiet(result)
    if command == "eval":
        report = (tmp_path / "eval" / "report.json").read_text()
        assert "__array__" not in report


@pytest.mark.large
def test_serve_is_quiet_up_to_serving(quickstart_folder, backend, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend}
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_mm.cli.main", "serve", "--model",
         str(quickstart_folder[1]), "--port", "0"], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    lines = []
    deadline = time.monotonic() + 600
    try:
        for line in process.stdout:
            lines.append(line)
            if "serving" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            rest, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            rest, err = process.communicate()
    result = subprocess.CompletedProcess([], process.returncode,
                                         "".join(lines) + rest, err)
    assert any("serving" in line for line in lines), err[-2000:]
    assert_names_backend(result, backend)
    assert_quiet(result)
