"""Shared by the distribution workers: a tiny CLIP, data, and a 5-step run.

Imported by scripts that run in their own process (the device count must be
fixed before the backend starts), never collected by pytest.
"""

import inspect

import keras
import numpy as np

from keras_mm.models.clip.text_transformer_encoder import TextTransformerEncoder
from keras_mm.models.vit.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.tasks.contrastive_model import ContrastiveModel

STEPS = 5
BATCH = 16
VOCABULARY = 50


def tiny_data(n=STEPS * BATCH, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 32, size=(n, 1))
    return {
        "images": rng.uniform(0, 255, (n, 32, 32, 3)).astype("float32"),
        "token_ids": rng.integers(1, VOCABULARY, (n, 32)).astype("int32"),
        "padding_mask": np.arange(32)[None, :] < lengths,
    }


def needs_loss_scaling():
    """True while `ContrastiveModel.compute_loss` does not yet scale its
    loss for `tf.distribute` replicas (see the report of issue 6)."""
    return "scale_loss_for_replicas" not in inspect.getsource(
        ContrastiveModel.compute_loss
    )


def tiny_model(loss="clip"):
    keras.utils.set_random_seed(0)
    # The quickstart CLIP at its smallest (no keras_hub/tensorflow import).
    model = ContrastiveModel(
        {"image": VisionTransformerEncoder(32, 8, 16, 1, 2),
         "text": TextTransformerEncoder(VOCABULARY, 32, 16, 1, 2)},
        projection_dim=16,
        loss=loss,
    )
    if needs_loss_scaling():
        from keras_mm.distribution import scale_loss_for_replicas

        compute_loss = model.compute_loss

        def scaled(*args, **kwargs):
            return scale_loss_for_replicas(compute_loss(*args, **kwargs))

        model.compute_loss = scaled
    return model


def step_losses(model, data, initial_weights):
    """Per-step training losses of `STEPS` Adam steps from given weights."""
    model.set_weights(initial_weights)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    running = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: running.append(
            float(logs["loss"])
        )
    )
    model.fit(data, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
              callbacks=[record])
    # Keras logs the running mean over the epoch; undo it.
    return [
        (k + 1) * m - k * (running[k - 1] if k else 0.0)
        for k, m in enumerate(running)
    ]
