"""One process of a torch data-parallel job (or the one-process reference).

`parity OUT`: trains the tiny CLIP for 5 steps of a global batch of 16 with
`keras_mm.training.train`, for the CLIP and SigLIP losses, with and without
exact accumulation, and once with a per-process loss (no gather); writes
OUT/<run>_<world size>_rank<rank>.npz.
`resume OUT`: the CLIP run with a checkpoint every 2 steps, resumed from
OUT/checkpoints; with $KILL_AT_STEP, rank 1 kills itself after that step.
"""

import os
import signal
import sys

import keras
import numpy as np

from keras_mm.distribution import configure_distribution
from keras_mm.training import TrainConfig
from keras_mm.training import train

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_training import BATCH  # noqa: E402
from tiny_training import STEPS  # noqa: E402
from tiny_training import tiny_data  # noqa: E402
from tiny_training import tiny_model  # noqa: E402

RUNS = {  # name -> (loss, accumulation steps)
    "clip_1": ("clip", 1), "clip_2": ("clip", 2),
    "siglip_1": ("siglip", 1), "siglip_2": ("siglip", 2),
}


def fit(loss, accumulation, callbacks=(), **config):
    config = TrainConfig(batch_size=BATCH, steps=STEPS, verbose=0,
                         warmup_fraction=0.0,
                         accumulation_steps=accumulation, **config)
    model, _ = train(lambda: tiny_model(loss), tiny_data(), config,
                     callbacks=list(callbacks), print_fn=lambda *_: None)
    return [np.asarray(w) for w in model.get_weights()]


def save(out, name, parallel, weights):
    np.savez(os.path.join(
        out, f"{name}_{parallel.world_size}_rank{parallel.rank}.npz"),
        *weights)


class KillAt(keras.callbacks.Callback):
    """SIGKILL this process after `step` batches (a crash mid-run)."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def main(mode, out):
    parallel = configure_distribution("data")
    if mode == "parity":
        for name, (loss, accumulation) in RUNS.items():
            save(out, name, parallel, fit(loss, accumulation))
        # Each process's loss sees only its own negatives.
        from keras_mm.backend.torch import collectives

        collectives.all_gather_with_grad = lambda x: x
        save(out, "clip_local", parallel, fit("clip", 1))
        return
    kill = int(os.environ.get("KILL_AT_STEP") or 0)
    callbacks = [KillAt(kill)] if kill and parallel.rank == 1 else []
    weights = fit("clip", 1, callbacks, checkpoint_every=2,
                  checkpoint_dir=os.path.join(out, "checkpoints"))
    save(out, "resumed", parallel, weights)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
