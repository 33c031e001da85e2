"""Cross-process collectives under `torch.distributed` data parallelism.

Each process runs Keras' training step on its shard of the global batch.
Two things make the update equal to one process on the global batch, as
open_clip does under DDP:

- `all_gather_with_grad` of the embeddings (open_clip's
  `gather_with_grad`): every process computes the same global loss, and
  the gradient of each shard, summed over the processes' losses, flows
  back to the process that owns it;
- averaging the parameter gradients across processes before the
  optimizer applies them (what DDP's all-reduce does): with the summed
  gather gradient, the average is the global loss's gradient, so the loss
  itself is not rescaled.
"""

import torch
import torch.distributed as dist


def _world():
    """`(rank, world_size)` when more than one process is in the group."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    size = dist.get_world_size()
    return None if size < 2 else (dist.get_rank(), size)


def replica_info():
    """`(rank, world_size)` of this process; `(0, 1)` without a group."""
    return _world() or (0, 1)


def process_shard():
    """`(index, count)`: this process feeds rows `index` of `count` equal
    parts of every global batch."""
    return replica_info()


class LostProcessError(RuntimeError):
    """A collective failed: another process of the job stopped."""


def _collective(name, run):
    try:
        return run()
    except RuntimeError as error:
        rank, size = replica_info()
        raise LostProcessError(
            f"data-parallel training stopped: the {name} of process "
            f"{rank} of {size} failed; another process has exited, hung "
            "or sent a tensor of another shape "
            f"({str(error).splitlines()[0]}). Rerun the job to resume "
            "from its last checkpoint.") from error


class _AllGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        rank, size = replica_info()
        parts = [torch.empty_like(x) for _ in range(size)]
        _collective("all-gather", lambda: dist.all_gather(
            parts, x.contiguous()))
        ctx.rank, ctx.rows = rank, x.shape[0]
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad):
        # Every process's loss reads every shard: sum their gradients and
        # keep this process's rows (all-reduce works on gloo and NCCL).
        grad = grad.contiguous()
        _collective("gradient all-reduce", lambda: dist.all_reduce(grad))
        start = ctx.rank * ctx.rows
        return grad[start:start + ctx.rows]


def all_gather_with_grad(x):
    """Concatenates `x` `(local_batch, ...)` over processes on axis 0."""
    return x if _world() is None else _AllGather.apply(x)


def scale_loss_for_replicas(loss):
    # Gradients are averaged across processes, not summed.
    return loss


def _flat_all_reduce(tensors, name, average):
    """One all-reduce per dtype over `tensors`, written back in place."""
    size = replica_info()[1]
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        _collective(name, lambda: dist.all_reduce(flat))
        if average:
            flat /= size
        offset = 0
        for t in group:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()


def average_gradients(grads):
    """Averages `grads` (None entries skipped) across processes."""
    present = [g for g in grads if g is not None]
    if _world() is not None and present:
        with torch.no_grad():
            _flat_all_reduce(present, "gradient all-reduce", average=True)
    return grads


def broadcast_variables(variables):
    """Gives every process rank 0's values of `variables`."""
    if _world() is None:
        return
    with torch.no_grad():
        values = [v.value.data for v in variables
                  if v.value.dtype.is_floating_point]
        by_dtype = {}
        for t in values:
            by_dtype.setdefault(t.dtype, []).append(t)
        for group in by_dtype.values():
            flat = torch.cat([t.reshape(-1) for t in group])
            _collective("weight broadcast",
                        lambda: dist.broadcast(flat, src=0))
            offset = 0
            for t in group:
                t.copy_(flat[offset:offset + t.numel()].view_as(t))
                offset += t.numel()


def synchronize_model(model):
    """Starts every process from rank 0's weights and makes `model`'s
    optimizer average each step's gradients across processes first."""
    if _world() is None or model.optimizer is None:
        return
    broadcast_variables(model.weights)
    optimizer = model.optimizer
    if getattr(optimizer, "_keras_mm_averages_gradients", False):
        return
    apply = optimizer.apply

    def averaged_apply(grads, trainable_variables=None):
        return apply(average_gradients(list(grads)), trainable_variables)

    optimizer.apply = averaged_apply
    optimizer._keras_mm_averages_gradients = True
