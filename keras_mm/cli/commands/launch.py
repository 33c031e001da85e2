"""`keras-mm launch -n N -- COMMAND...`: N local processes of one job.

Each process gets Keras' multi-process variables
(`KERAS_DISTRIBUTION_JOB_ADDRESSES` = N free 127.0.0.1 ports,
`KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID`) and
the ones torchrun sets (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`
and `MASTER_PORT` = the first address), which
`keras_mm.distribution.configure_distribution` turns into
`keras.distribution.initialize` (JAX), `$TF_CONFIG` for
`MultiWorkerMirroredStrategy` (TensorFlow) or a `torch.distributed`
process group (torch). For a try-out on one machine; on several hosts,
set the same variables on each host (or use torchrun on torch).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from keras_mm.backend import tuned_environ


def register(subparsers):
    p = subparsers.add_parser(
        "launch",
        help="start N local processes of one distributed job (a try-out)",
    )
    p.add_argument("-n", "--num-processes", type=int, default=2,
                   help="processes to start (default: 2)")
    p.add_argument("--cpu-devices", type=int, default=None,
                   help="JAX: virtual CPU devices per process (XLA_FLAGS)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds before every process is killed (exit 124)")
    p.add_argument("job", nargs=argparse.REMAINDER,
                   help="the command each process runs, after --")
    p.set_defaults(run=run)


def free_ports(count):
    """`count` distinct TCP ports free on 127.0.0.1 right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def process_env(process_id, addresses, cpu_devices=None, base=None):
    """The environment of process `process_id` of `len(addresses)`, with
    glibc's malloc on huge pages (`keras_mm.backend.tuned_environ`)."""
    env = tuned_environ(base)  # None: this process's environment
    env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = ",".join(addresses)
    env["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(len(addresses))
    env["KERAS_DISTRIBUTION_PROCESS_ID"] = str(process_id)
    env.pop("TF_CONFIG", None)  # rebuilt from the addresses
    # torchrun's variables; rank 0 listens on the first address.
    master_addr, master_port = addresses[0].rsplit(":", 1)
    env.update(RANK=str(process_id), LOCAL_RANK=str(process_id),
               WORLD_SIZE=str(len(addresses)), MASTER_ADDR=master_addr,
               MASTER_PORT=master_port, LOCAL_WORLD_SIZE=str(len(addresses)))
    if cpu_devices:
        flag = f"--xla_force_host_platform_device_count={cpu_devices}"
        env["XLA_FLAGS"] = " ".join(
            [f for f in env.get("XLA_FLAGS", "").split()
             if "device_count" not in f] + [flag]
        )
    return env


def _stop(processes):
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for p in processes:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def launch(job, num_processes, cpu_devices=None, timeout=None):
    """Runs `job` (a list) in `num_processes` processes; returns the exit
    status: 0 if all succeed, else the first failure's (124 on timeout).
    Once one process fails the others are stopped."""
    addresses = [f"127.0.0.1:{port}" for port in free_ports(num_processes)]
    processes = [
        subprocess.Popen(job, env=process_env(i, addresses, cpu_devices),
                         start_new_session=True)
        for i in range(num_processes)
    ]
    start = time.monotonic()
    try:
        while True:
            codes = [p.poll() for p in processes]
            failed = [c for c in codes if c not in (None, 0)]
            if failed or all(c == 0 for c in codes):
                for i, c in enumerate(codes):
                    if c not in (None, 0):
                        print(f"[launch] process {i} exited with {c}",
                              file=sys.stderr, flush=True)
                return failed[0] if failed else 0
            if timeout is not None and time.monotonic() - start > timeout:
                print(f"[launch] timed out after {timeout:.0f} s",
                      file=sys.stderr, flush=True)
                return 124
            time.sleep(0.2)
    finally:
        _stop(processes)


def run(args):
    from keras_mm.cli.errors import UsageError

    job = args.job[1:] if args.job[:1] == ["--"] else args.job
    if not job:
        raise UsageError("keras-mm launch: give the command after --, e.g. "
                         "keras-mm launch -n 2 -- python train.py")
    if args.num_processes < 1:
        raise UsageError("keras-mm launch: -n must be at least 1. "
                         f"Received: {args.num_processes}")
    code = launch(job, args.num_processes, args.cpu_devices, args.timeout)
    if code:
        raise SystemExit(code)
