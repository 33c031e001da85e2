"""A deterministic tiny training run, killed and resumed by the resume test.

Usage: python resume_worker.py CHECKPOINT_DIR OUT_NPZ SLEEP_PER_STEP
"""

import sys
import time

import keras
import numpy as np

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import train
from keras_mm.training.variables import named_variables

CONFIG = dict(epochs=2, batch_size=8, learning_rate=1e-2, seed=0,
              checkpoint_every=2)


def data(n=48):
    return tiny_clip_batch(n)


def build():
    # `train` seeds from the config before building; keep that seed.
    return tiny_clip(seed=None)


class Slow(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def run(checkpoint_dir, sleep=0.0):
    config = TrainConfig(checkpoint_dir=checkpoint_dir, **CONFIG)
    model, report = train(build, data(), config, callbacks=[Slow(sleep)])
    return model, report


def weights(model):
    return {n: keras.ops.convert_to_numpy(v)
            for n, v in named_variables(model).items()}


if __name__ == "__main__":
    model, report = run(sys.argv[1], float(sys.argv[3]))
    np.savez(sys.argv[2], **weights(model))
    print("resumed_from_step", report["resumed_from_step"], flush=True)
