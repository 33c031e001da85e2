"""`torch.distributed` set-up for `keras_mm.distribution` on torch: data
parallel over processes (gloo on CPU, NCCL on GPU), one process per device.

A Keras model on torch is a `torch.nn.Module`; `keras_mm` keeps Keras'
own training step and makes it data parallel the way DDP does: each
process feeds its shard of the global batch, the contrastive losses
gather the embeddings of every process (`collectives`), and the gradients
are averaged across processes before the optimizer applies them
(`collectives.synchronize_model`).
"""

import atexit
import datetime
import os

import torch
import torch.distributed as dist

SUPPORTED_KINDS = ("none", "data")
# Seconds a collective waits for a missing process before it fails.
TIMEOUT_ENV = "KERAS_MM_COLLECTIVE_TIMEOUT"
DEFAULT_TIMEOUT = 300


def _timeout():
    return datetime.timedelta(
        seconds=float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT))


def _backend_name():
    return "nccl" if torch.cuda.is_available() else "gloo"


def _start(init_method, world_size, rank):
    if dist.is_initialized():
        return
    if torch.cuda.is_available():
        # "cuda" (Keras' device) then names this process's own GPU.
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank))
                              % torch.cuda.device_count())
    dist.init_process_group(_backend_name(), init_method=init_method,
                            world_size=world_size, rank=rank,
                            timeout=_timeout())
    atexit.register(_stop)


def _stop():
    if dist.is_initialized():
        dist.destroy_process_group()


def join_processes(addresses, count, process_id):
    """Joins the process group; the first `host:port` of `addresses` is
    its rendezvous (rank 0 listens there)."""
    _start(f"tcp://{addresses.split(',')[0]}", count, process_id)


def _torchrun_world():
    """`(rank, world_size)` from torchrun's variables, or None."""
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return None
    return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])


class TorchDataParallel:
    """What `configure_distribution("data")` returns on torch."""

    def __init__(self):
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world_size = (dist.get_world_size() if dist.is_initialized()
                           else 1)
        self.backend = (dist.get_backend() if dist.is_initialized()
                        else None)
        self.num_replicas_in_sync = self.world_size

    def __repr__(self):
        return (f"TorchDataParallel(rank={self.rank}, "
                f"world_size={self.world_size}, backend={self.backend})")


def configure(kind, shape, initialize, layout_map):
    """Joins the process group for `"data"`; None for `"none"`.

    torchrun's variables (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`,
    `MASTER_PORT`) come first, then Keras' (`initialize`). One process per
    device: a mesh, if given, must equal the number of processes.
    """
    del layout_map
    if kind == "none":
        return None
    world = _torchrun_world()
    if world is not None and world[1] > 1:
        _start("env://", world[1], world[0])
    else:
        initialize()
    parallel = TorchDataParallel()
    if shape is not None and shape != (parallel.world_size,):
        raise ValueError(
            "torch data parallel runs one process per device: the mesh "
            f"must be '{parallel.world_size}' (the number of processes). "
            f"Received: mesh={'x'.join(map(str, shape))!r}")
    return parallel
