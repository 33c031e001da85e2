"""`train(...)`: one entry point for every option of this package."""

import importlib.util
import math
import time

import keras
import numpy as np

from keras_mm.training import checkpointing
from keras_mm.training.attention_maps import AttentionMapLogger
from keras_mm.training.config import TrainConfig
from keras_mm.training.freezing import freeze_by_pattern
from keras_mm.training.freezing import freeze_tower
from keras_mm.training.freezing import print_parameter_counts
from keras_mm.training.gradient_norms import ModalityGradientNorms
from keras_mm.training.lora import enable_lora
from keras_mm.training.nan_guard import NonFiniteGuard
from keras_mm.training.optimizer import apply_regularization
from keras_mm.training.optimizer import build_optimizer
from keras_mm.training.precision import set_precision
from keras_mm.training.remat import enable_remat


def _take(data, index):
    return keras.tree.map_structure(lambda a: a[index], data)


def _num_examples(data):
    return len(keras.tree.flatten(data)[0])


def _epoch_order(n, epoch, seed):
    return np.random.default_rng([seed, epoch]).permutation(n)


def train(build_model, data, config=None, validation_data=None,
          callbacks=(), print_fn=print):
    """Builds, prepares and fits a model; resumable and deterministic.

    Args:
        build_model: a callable returning a fresh (uncompiled) model, called
            after the precision policy and seed are set; or a model (only
            with `precision="float32"`).
        data: `x` (dict of arrays, for tasks whose loss needs no labels
            such as `ContrastiveModel`), `(x, y)` or `(x, y, sample_weight)`.
        config: `TrainConfig`.
        validation_data: like `data`; evaluated after each epoch.
        callbacks: extra Keras callbacks.

    Returns:
        `(model, report)`; `report` holds the parameter counts, the loss
        of every epoch, the steps run and the resume step.

    Example:
    ```python
    model, report = keras_mm.training.train(
        lambda: keras_mm.quickstart.build_model(256, 32, 1, 2), inputs,
        keras_mm.training.TrainConfig(epochs=2, batch_size=64))
    ```
    """
    config = config or TrainConfig()
    keras.utils.set_random_seed(config.seed)
    set_precision(config.precision)
    try:
        model = build_model() if callable(build_model) and not isinstance(
            build_model, keras.Model) else build_model
    finally:
        keras.config.set_dtype_policy("float32")

    # === Freezing, LoRA, remat, regularisation ===
    for tower in config.freeze:
        freeze_tower(model, tower, unlocked_blocks=config.unlocked_blocks)
    if config.freeze_patterns:
        freeze_by_pattern(model, list(config.freeze_patterns))
    if config.lora_rank:
        enable_lora(model, config.lora_rank, config.lora_alpha or None,
                    towers=list(config.lora_towers) or None)
    if config.remat:
        enable_remat(model, towers=list(config.remat))
    apply_regularization(model, config.l1, config.l2)
    counts = print_parameter_counts(model, print_fn=print_fn)

    # === Optimizer ===
    n = _num_examples(data)
    steps_per_epoch = n // config.batch_size
    if steps_per_epoch < 1:
        raise ValueError(
            f"batch_size={config.batch_size} exceeds the {n} examples."
        )
    total_steps = steps_per_epoch * config.epochs
    exact = hasattr(model, "contrastive_loss")
    k = config.accumulation_steps
    optimizer = build_optimizer(
        model, total_steps, config.learning_rate, config.warmup_fraction,
        config.weight_decay, config.layer_decay or None,
        config.global_clipnorm or None,
        gradient_accumulation_steps=k if (k > 1 and not exact) else None,
    )
    compile_kwargs = {"accumulation_steps": k} if exact else {}
    if not exact:  # e.g. the stage tasks: their loss and metrics.
        compile_kwargs.update(getattr(model, "compile_kwargs", {}))
    model.compile(optimizer=optimizer, **compile_kwargs)

    # === Resume ===
    start_step = 0
    if config.checkpoint_dir and config.resume and (
            checkpointing.latest_step(config.checkpoint_dir) is not None):
        start_step = checkpointing.restore_checkpoint(model,
                                                      config.checkpoint_dir)
        print_fn(f"resumed from step {start_step} "
                 f"({config.checkpoint_dir})")

    callbacks = list(callbacks) + [NonFiniteGuard(initial_step=start_step)]
    if config.checkpoint_dir and config.checkpoint_every:
        callbacks.append(checkpointing.StepCheckpoint(
            config.checkpoint_dir, config.checkpoint_every, start_step))
    if config.grad_norm_every and hasattr(model, "encoders"):
        probe = _take(data, slice(0, min(n, config.batch_size)))
        probe_x, probe_y = (probe[:2] if isinstance(probe, tuple)
                            else (probe, None))
        callbacks.append(ModalityGradientNorms(
            probe_x, probe_y, config.grad_norm_every,
            log_dir=config.tensorboard_dir or None))
    if config.tensorboard_dir and importlib.util.find_spec("tensorboard"):
        callbacks.append(keras.callbacks.TensorBoard(
            config.tensorboard_dir, histogram_freq=1, write_graph=False,
            update_freq=max(1, config.checkpoint_every or 10)))
    elif config.tensorboard_dir:
        print_fn("tensorboard_dir: scalars and histograms need the "
                 "`tensorboard` package (pip install tensorboard); skipped")
    if config.tensorboard_dir and config.attention_layer:
        probe = _take(data, slice(0, min(n, 4)))
        callbacks.append(AttentionMapLogger(
            probe[0] if isinstance(probe, tuple) else probe,
            config.attention_layer, config.tensorboard_dir))

    # === Fit, epoch by epoch, from the resume step ===
    # The order of examples is a function of (seed, epoch) only, so a
    # resumed run sees exactly the batches the killed run would have seen.
    epoch_losses = []
    tick = time.perf_counter()
    batch = config.batch_size
    for epoch in range(start_step // steps_per_epoch, config.epochs):
        offset = max(0, start_step - epoch * steps_per_epoch)
        order = _epoch_order(n, epoch, config.seed)[
            offset * batch: steps_per_epoch * batch]
        epoch_data = _take(data, order)
        x, y, weights = (tuple(epoch_data) + (None,))[:3] if isinstance(
            epoch_data, tuple) else (epoch_data, None, None)
        history = model.fit(
            x, y, sample_weight=weights, batch_size=batch, epochs=epoch + 1, initial_epoch=epoch,
            shuffle=False, callbacks=callbacks, verbose=config.verbose,
            validation_data=validation_data if validation_data is None
            or isinstance(validation_data, tuple) else (validation_data,),
        )
        epoch_losses.append(float(history.history["loss"][-1]))
    seconds = time.perf_counter() - tick
    if config.checkpoint_dir and config.checkpoint_every:
        checkpointing.save_checkpoint(model, config.checkpoint_dir,
                                      total_steps, {"finished": True})
    report = {
        "parameters": counts,
        "epoch_losses": epoch_losses,
        "total_steps": total_steps,
        "resumed_from_step": start_step,
        "seconds": seconds,
        "final_loss": epoch_losses[-1] if epoch_losses else math.nan,
    }
    return model, report
