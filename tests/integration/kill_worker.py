"""Kills `keras-mm export` or `keras-mm train` at random moments and
checks what each kill left; used by `test_kill_resilience.py`.

    python kill_worker.py export|train FOLDER KILLS SEED

Each command runs as `keras_mm.cli.main.main(argv)` in a child forked
from this process, which imported Keras, TensorFlow and the command's
modules once (no Keras backend is started here, so forking is safe); the
child's process group is killed with SIGKILL at a moment drawn uniformly
from the length of an uninterrupted run. Prints one JSON line: the
durations, the kills and what was found after each.
"""

import hashlib
import json
import os
import random
import signal
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))

import export_fixture as fixture


def _child(argv, log):
    """Forks `main(argv)` (or `argv()` when callable); returns the
    child's pid."""
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)  # so the kill reaches its converter subprocess
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = 1
        try:
            from keras_mm.cli.main import main

            code = (argv() if callable(argv) else main(argv)) or 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def run_to_end(argv, log, timeout=600):
    """`(exit code, seconds)` of an uninterrupted child run."""
    tick = time.perf_counter()
    pid = _child(argv, log)
    deadline = time.time() + timeout
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), (
                time.perf_counter() - tick)
        time.sleep(0.05)
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise TimeoutError(f"a child ran over {timeout} s; see {log}")


def run_and_kill(argv, log, after):
    """Runs `main(argv)` and kills it after `after` seconds; returns the
    exit code when it ended by itself first, else None."""
    pid = _child(argv, log)
    deadline = time.perf_counter() + after
    while time.perf_counter() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    return None


def _tail(log):
    with open(log, errors="replace") as f:
        return f.read()[-3000:]


def _digest(folder):
    """`{relative path: sha256}` of every file under `folder`."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = hashlib.sha256(
                    f.read()).hexdigest()
    return found


def complete_export(folder):
    """Problems of an export folder (empty when complete)."""
    problems = []
    try:
        with open(os.path.join(folder, "export.json")) as f:
            description = json.load(f)
        with open(os.path.join(folder, "report.json")) as f:
            report = json.load(f)
    except (OSError, ValueError) as error:
        return [f"unreadable export.json/report.json: {error}"]
    for modality, tower in description["towers"].items():
        path = os.path.join(folder, tower["file"])
        if not os.path.isfile(path):
            problems.append(f"{tower['file']} missing")
        elif os.path.getsize(path) != tower["size_bytes"]:
            problems.append(f"{tower['file']}: size differs from export.json")
        if report["towers"][modality]["size_bytes"] != tower["size_bytes"]:
            problems.append(f"report.json describes another {modality} file")
    if os.path.exists(os.path.join(folder, "candidates")):
        problems.append("candidates/ left behind")
    return problems


def _tiny_model(folder, log):
    """A tiny self-contained CLIP, built in a child: this process starts
    no Keras backend."""
    path = os.path.join(folder, "model.keras")
    code, _ = run_to_end(lambda: fixture.write_self_contained_clip(folder)
                         and 0, log)
    assert code == 0, _tail(log)
    return path


def export_kills(folder, kills, seed):
    model = _tiny_model(os.path.join(folder, "run"),
                        os.path.join(folder, "export.log"))
    manifest = fixture.write_png_manifest(os.path.join(folder, "data"), 8)
    out = os.path.join(folder, "export")
    log = os.path.join(folder, "export.log")
    argv = ["export", "--model", model, "--data", manifest, "--out", out,
            "--quantize", "none", "--eval-size", "4",
            "--representative-size", "1", "--max-r1-drop", "1"]
    code, seconds = run_to_end(argv, log)
    assert code == 0, _tail(log)
    assert not complete_export(out)
    good = _digest(out)
    rng = random.Random(seed)
    trials = []
    for _ in range(kills):
        after = rng.uniform(0, seconds * 1.1)
        code = run_and_kill(argv, log, after)
        now = _digest(out) if os.path.isdir(out) else None
        if now == good:
            state = "previous"
        else:
            problems = complete_export(out) if now else ["no export"]
            state = "new" if not problems else "; ".join(problems)
            if not problems:
                good = now
        trials.append({"after": round(after, 2), "exited": code,
                       "state": state})
    code, _ = run_to_end(argv, log)
    assert code == 0, _tail(log)
    # Temporary folders of killed exports: the last export removed them.
    leftovers = [n for n in os.listdir(folder) if n.startswith(".")]
    return {"seconds": seconds, "trials": trials, "leftovers": leftovers,
            "final": complete_export(out)}


def _weights(model_path):
    """`{dataset path: bytes}` of a `.keras` file's weights."""
    import io

    import h5py

    with zipfile.ZipFile(model_path) as archive:
        data = io.BytesIO(archive.read("model.weights.h5"))
    found = {}
    with h5py.File(data, "r") as h5:
        h5.visititems(lambda name, item: found.__setitem__(
            name, item[()].tobytes()) if isinstance(item, h5py.Dataset)
            else None)
    return found


def checkpoint_state(checkpoints):
    """Problems of a checkpoint folder after a kill (empty when its newest
    checkpoint loads: metadata reads and arrays match their checksum)."""
    from keras_mm.training import checkpoint_files

    if not checkpoint_files.has_checkpoints(checkpoints):
        return []
    warnings = []
    usable = list(checkpoint_files.usable_checkpoints(
        checkpoints, warn=warnings.append))
    if not usable:
        return warnings or ["no usable checkpoint"]
    return warnings


def train_kills(folder, kills, seed):
    model = _tiny_model(os.path.join(folder, "start"),
                        os.path.join(folder, "train.log"))
    manifest = fixture.write_png_manifest(os.path.join(folder, "data"), 16)
    log = os.path.join(folder, "train.log")

    def argv(run):
        return ["train", "--model", model, "--train-data", manifest,
                "--out", os.path.join(folder, run), "--epochs", "3",
                "--batch-size", "4", "--checkpoint-every", "1",
                "--val-fraction", "0.2", "--verbose", "0"]

    code, seconds = run_to_end(argv("reference"), log)
    assert code == 0, _tail(log)
    expected = _weights(os.path.join(folder, "reference", "model.keras"))
    rng = random.Random(seed)
    trials, runs, chain = [], [], 0

    def finish(run):
        # The chain ends with an uninterrupted run (it resumes).
        code, _ = run_to_end(argv(run), log)
        assert code == 0, _tail(log)
        got = _weights(os.path.join(folder, run, "model.keras"))
        runs.append({"run": run, "equal": got == expected,
                     "differing": sorted(k for k in expected
                                         if got.get(k) != expected[k])[:5]})

    for _ in range(kills):
        run = f"run{chain}"
        after = rng.uniform(0, seconds * 1.1)
        code = run_and_kill(argv(run), log, after)
        problems = checkpoint_state(os.path.join(folder, run, "checkpoints"))
        trials.append({"after": round(after, 2), "exited": code,
                       "run": run, "problems": problems})
        if code is not None:  # it finished before the kill
            finish(run)
            chain += 1
    finish(f"run{chain}")
    return {"seconds": seconds, "trials": trials, "runs": runs}


def main(what, folder, kills, seed):
    import importlib

    os.makedirs(folder, exist_ok=True)
    # Imported once here; each child starts from them.
    command = {"export": "keras_mm.export.export_folder",
               "train": "keras_mm.training.run_training"}[what]
    for name in ("keras", "tensorflow", "keras_mm.cli.main", command):
        importlib.import_module(name)
    run = export_kills if what == "export" else train_kills
    print(json.dumps(run(folder, kills, seed)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
