"""`keras-mm doctor`: what this machine offers keras_mm: versions, CPU
features, GPUs, and the device each backend will use."""

import os
import platform
import subprocess
import sys


def register(subparsers):
    p = subparsers.add_parser(
        "doctor",
        help="print installed backends and versions, CPU features "
        "(AVX-512, AMX, VNNI), GPUs and the device each backend will use",
    )
    p.add_argument("--quick", action="store_true",
                   help="guess each backend's device from the installed "
                   "files instead of starting each framework (instant)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds allowed to each framework's device query "
                   "(default: 120)")
    p.set_defaults(run=run)


def _probe_all(backends, timeout):
    """`{backend: [device, ...] or "failed: reason"}`, each framework asked
    in its own process (in parallel), so a crash or a missing driver is
    reported, not raised."""
    from keras_mm.backend.installed import DEVICE_PROBES
    from keras_mm.cli.quiet import quiet_environ

    env = dict(os.environ)
    quiet_environ(env)
    running = {
        name: subprocess.Popen(
            [sys.executable, "-c", DEVICE_PROBES[name]], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in backends
    }
    found = {}
    for name, process in running.items():
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            found[name] = f"failed: no answer in {timeout:.0f} s"
            continue
        lines = [line for line in out.splitlines() if line.strip()]
        if process.returncode != 0 or not lines:
            last = (err.strip().splitlines() or ["no output"])[-1]
            found[name] = f"failed: {last}"
        else:
            found[name] = lines
    return found


def report_lines(quick=False, timeout=120.0):
    """The lines `keras-mm doctor` prints."""
    import keras_mm
    from keras_mm.backend import installed
    from keras_mm.cli.backend_flag import choose_backend
    from keras_mm.cli.host_info import cpu_info
    from keras_mm.cli.host_info import nvidia_smi_gpus

    lines = [f"keras-mm {keras_mm.__version__}, Python "
             f"{platform.python_version()} ({platform.system()} "
             f"{platform.machine()})"]
    packages = [f"{name} {installed.version(name) or 'not installed'}"
                for name in ("keras", "numpy", "tensorflow")]
    lines.append("packages: " + ", ".join(packages)
                 + " (TensorFlow also reads data and converts to LiteRT)")
    cpu = cpu_info()
    lines.append(f"CPU: {cpu['model']}, {cpu['cores']} usable cores; "
                 f"{', '.join(cpu['features']) or 'no AVX2/AVX-512/AMX'}")
    gpus = nvidia_smi_gpus() or [
        f"{i}: {name}" for i, name in enumerate(installed.nvidia_gpus())]
    lines.append("GPUs: " + ("; ".join(gpus) if gpus
                             else "none (no NVIDIA driver or nvidia-smi)"))
    backends = installed.installed_backends()
    if not backends:
        lines.append("backends: none installed (pip install torch, jax or "
                     "tensorflow)")
        return lines
    probed = {} if quick else _probe_all(backends, timeout)
    lines.append("backends (fastest first) and the device each will use:")
    for name in backends:
        devices = probed.get(name)
        if devices is None:
            used = f"{installed.expected_device(name)} (guessed)"
        elif isinstance(devices, str):
            used = devices
        else:
            used = devices[0] + (f" (+{len(devices) - 1} more)"
                                 if len(devices) > 1 else "")
        lines.append(f"  {name:<11} {installed.version(name):<16} {used}")
    chosen, why = choose_backend()
    lines.append(f"keras-mm commands run on: {chosen} ({why})")
    return lines


def run(args):
    from keras_mm.cli.errors import UsageError

    if args.timeout <= 0:
        raise UsageError("keras-mm doctor: --timeout must be > 0")
    for line in report_lines(quick=args.quick, timeout=args.timeout):
        print(line, flush=True)
