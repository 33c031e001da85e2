"""One of two gloo processes checking keras_mm's torch collectives.

`python gloo_pair.py RANK PORT OUT [exit]`: rank 0 gathers rows [0, 1],
rank 1 rows [2, 3, ...]; the gradient of a loss that every process computes
on the gathered batch must be that loss's gradient for this process's rows
(summed over processes, then averaged like parameter gradients). With
`exit`, rank 1 leaves at once and rank 0 must fail with LostProcessError.
Imports torch only (no Keras), so it starts in seconds.
"""

import json
import os
import sys

import torch
import torch.distributed as dist

from keras_mm.backend.torch import collectives


def main(rank, port, out, leave=False):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                            rank=rank, world_size=2)
    if leave:
        # Both finish joining first: under load, a peer gone during
        # init_process_group fails there, before any keras_mm collective.
        dist.barrier()
        if rank == 1:
            os._exit(0)
        try:
            collectives.all_gather_with_grad(torch.ones(2, 3))
        except collectives.LostProcessError as error:
            result = {"error": str(error)}
        else:
            result = {"error": None}
    else:
        rows = torch.arange(6.0).reshape(3, 2)[rank:rank + 2].clone()
        rows.requires_grad_(True)
        gathered = collectives.all_gather_with_grad(rows)
        weights = torch.arange(1.0, 9.0).reshape(4, 2)
        (gathered * weights).square().sum().backward()
        grad = collectives.average_gradients([rows.grad.clone(), None])[0]
        result = {"info": collectives.replica_info(),
                  "gathered": gathered.tolist(), "grad": rows.grad.tolist(),
                  "averaged": grad.tolist()}
        dist.barrier()
    with open(os.path.join(out, f"{rank}.json"), "w") as f:
        json.dump(result, f)
    os._exit(0)  # no teardown handshake with a peer that may be gone


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
         sys.argv[4:] == ["exit"])
