"""`train(...)`: one entry point for every option of this package."""

import dataclasses
import importlib.util
import math
import time
import warnings

import keras

from keras_mm.distribution.collectives import process_shard
from keras_mm.distribution.collectives import synchronize_model
from keras_mm.distribution.data_shards import local_batch_size
from keras_mm.distribution.data_shards import shard_global_batches
from keras_mm.training import checkpoint_files
from keras_mm.training import checkpointing
from keras_mm.training import epoch_data
from keras_mm.training.attention_maps import AttentionMapLogger
from keras_mm.training.attention_maps import default_attention_layer
from keras_mm.training.config import TrainConfig
from keras_mm.training.epoch_stats import EpochStats
from keras_mm.training.freezing import freeze_by_pattern
from keras_mm.training.freezing import freeze_tower
from keras_mm.training.freezing import print_parameter_counts
from keras_mm.training.gradient_norms import ModalityGradientNorms
from keras_mm.training.lora import enable_lora
from keras_mm.training.nan_guard import NonFiniteGuard
from keras_mm.training.optimizer_setup import apply_regularization
from keras_mm.training.optimizer_setup import build_optimizer
from keras_mm.training.precision import check_model_precision
from keras_mm.training.precision import set_precision
from keras_mm.training.progress import ProgressBar
from keras_mm.training.remat import enable_remat
from keras_mm.training.tensorboard_logger import TensorBoardLogger


def train(build_model, data, config=None, validation_data=None,
          callbacks=(), print_fn=print):
    """Builds, prepares and fits a model; resumable and deterministic.

    Args:
        build_model: a callable returning a fresh (uncompiled) model, called
            after the precision policy and seed are set (e.g.
            `lambda: keras_mm.models.load_pretrained(path)`); or a model,
            which must have been built under `config.precision` (else
            ValueError: a built model keeps its policy).
        data: in memory, `x` (dict of arrays, for tasks whose loss needs
            no labels such as `ContrastiveModel`), `(x, y)` or
            `(x, y, sample_weight)`, reordered per epoch by (seed, epoch)
            and cut into `config.batch_size` batches. Or a
            `tf.data.Dataset` of such batches (e.g. from
            `keras_mm.data.model_dataset`), of known or unknown length, fed
            as it is batched: its batch size is the dataset's own
            (`config.batch_size` then only serves the samples/s figure when
            the dataset's batch dimension is not static) and it shuffles by
            its own seed each time it is iterated (once per epoch). Or a
            callable `epoch -> tf.data.Dataset` building each epoch's
            dataset (the same batch size and length every epoch).
        config: `TrainConfig`. Steps per epoch are
            `config.steps_per_epoch`, else every full batch of the arrays,
            else the dataset's cardinality, else the dataset's batches
            counted in one pass (announced via `print_fn`). The run lasts
            `config.steps` batches when set, else `epochs` epochs; the
            learning-rate schedule spans the whole run.
        validation_data: like `data` (arrays or a dataset); evaluated after
            each epoch.
        callbacks: extra Keras callbacks, called after `EpochStats` (which
            adds `learning_rate` and `samples_per_second` to the epoch
            logs) and before the checkpoint, TensorBoard and progress
            callbacks, so e.g. `RetrievalCallback` then `HistoryJson` both
            land in TensorBoard (`config.tensorboard_dir`, written by
            `TensorBoardLogger`) and on the progress bar.
        print_fn: where messages go (the progress bar prints to stdout;
            `config.verbose=0` turns it off).

    Resuming (`config.checkpoint_dir` holding a checkpoint, `resume=True`)
    restores the model and optimizer and goes on from the saved step: the
    batches already trained on in the interrupted epoch are skipped. With
    arrays, the resumed run sees exactly the batches of an uninterrupted
    run; with a dataset, too, when its order is the same on each pass
    (no shuffle, or a shuffle with a seed and
    `reshuffle_each_iteration=False`), or when `data` is a callable
    `epoch -> dataset` whose order depends on the epoch alone (e.g. a
    fresh pipeline shuffled by `(seed, epoch)`). A dataset that reshuffles
    on every pass starts a new process with its first pass's order.

    Returns:
        `(model, report)`; `report` holds the parameter counts, the loss
        of every epoch, the steps run, the steps per epoch, the batch size
        and the resume step.

    Example:
    ```python
    model, report = keras_mm.training.train(
        lambda: keras_mm.models.clip.build_quickstart_clip(256, 32, 1, 2),
        inputs,
        keras_mm.training.TrainConfig(epochs=2, batch_size=64))
    ```
    """
    config = config or TrainConfig()
    keras.utils.set_random_seed(config.seed)
    set_precision(config.precision)
    builds = callable(build_model) and not isinstance(build_model,
                                                      keras.Model)
    try:
        model = build_model() if builds else build_model
    finally:
        keras.config.set_dtype_policy("float32")
    check_model_precision(model, config.precision)

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

    # === Steps, then the optimizer (its schedule spans the whole run) ===
    epoch_source = data if callable(data) else None
    if epoch_source is not None:
        data = epoch_source(0)
    is_dataset = epoch_data.is_dataset(data)
    batch = config.batch_size
    if is_dataset:
        batch = epoch_data.dataset_batch_size(data) or config.batch_size
    steps_per_epoch = epoch_data.steps_per_epoch(
        data, batch, config.steps_per_epoch, print_fn)
    total_steps = config.steps or steps_per_epoch * config.epochs
    epochs = math.ceil(total_steps / steps_per_epoch)
    # torch data parallel: each process trains on its part of every
    # global batch (elsewhere the backend splits the batch itself).
    shard, shards = process_shard()
    local_batch = local_batch_size(batch, shards)
    if is_dataset:
        data = shard_global_batches(data, batch, shard, shards)
    exact = hasattr(model, "contrastive_loss")
    k = config.accumulation_steps
    # Keras' gradient accumulation steps the optimizer (and the schedule)
    # once per k batches; the exact contrastive one once per batch.
    updates = total_steps if exact or k <= 1 else max(1, total_steps // k)
    optimizer = build_optimizer(
        model, updates, config.learning_rate, config.warmup_fraction,
        config.weight_decay, config.layer_decay or None,
        config.global_clipnorm or None,
        gradient_accumulation_steps=k if (k > 1 and not exact) else None,
    )
    compile_kwargs = {"accumulation_steps": k} if exact else {}
    if not exact:  # e.g. the stage tasks: their loss and metrics.
        compile_kwargs.update(getattr(model, "compile_kwargs", {}))
    model.compile(optimizer=optimizer, **compile_kwargs)
    # keras_mm's tasks do this in `compile`; a plain Keras model too.
    synchronize_model(model)

    # === Resume ===
    run_config = checkpoint_config(config, batch, steps_per_epoch,
                                   total_steps)
    start_step, finished_loss = 0, math.nan
    if config.checkpoint_dir and config.resume and (
            checkpoint_files.has_checkpoints(config.checkpoint_dir)):
        resumed = _resume(model, config.checkpoint_dir, run_config,
                          print_fn)
        start_step = resumed["step"]
        finished_loss = resumed.get("final_loss", math.nan)
        print_fn(f"resumed from step {start_step} "
                 f"({config.checkpoint_dir})")

    callbacks = [EpochStats(batch), *callbacks,
                 NonFiniteGuard(initial_step=start_step)]
    if config.checkpoint_dir and config.checkpoint_every:
        callbacks.append(checkpointing.StepCheckpoint(
            config.checkpoint_dir, config.checkpoint_every, start_step,
            keep=config.keep_checkpoints, metadata={"config": run_config}))
    # TensorBoard files are written with the `tensorboard` package alone.
    log_dir = config.tensorboard_dir
    if log_dir and not importlib.util.find_spec("tensorboard"):
        print_fn("tensorboard_dir: TensorBoard logs need the `tensorboard` "
                 "package (pip install 'keras_mm[tensorboard]'); skipped")
        log_dir = ""
    if config.grad_norm_every and hasattr(model, "encoders"):
        probe = epoch_data.first_batch(data, batch)
        probe_x, probe_y = (probe[:2] if isinstance(probe, tuple)
                            else (probe, None))
        callbacks.append(ModalityGradientNorms(
            probe_x, probe_y, config.grad_norm_every,
            log_dir=log_dir or None, initial_step=start_step))
    if log_dir:
        # Loss and learning rate per step; every epoch log (loss,
        # learning_rate, samples_per_second, val_*, Recall@K, zero-shot)
        # per epoch; weight histograms.
        callbacks.append(TensorBoardLogger(log_dir, initial_step=start_step))
    attention_layer = config.attention_layer
    if attention_layer == "auto":
        attention_layer = default_attention_layer(model) or ""
    if log_dir and attention_layer:
        probe = epoch_data.first_batch(data, 4)
        callbacks.append(AttentionMapLogger(
            probe[0] if isinstance(probe, tuple) else probe,
            attention_layer, log_dir))

    if config.verbose:
        callbacks.append(ProgressBar(epochs, steps_per_epoch, batch,
                                     start_step, total_steps,
                                     config.verbose))

    # === Fit, epoch by epoch, from the resume step ===
    # In memory, the order of examples is a function of (seed, epoch)
    # only, so a resumed run sees exactly the batches the killed run would
    # have seen; a dataset skips the batches already seen in its epoch.
    epoch_losses = []
    tick = time.perf_counter()
    if validation_data is not None and not (
            epoch_data.is_dataset(validation_data)
            or isinstance(validation_data, tuple)):
        validation_data = (validation_data,)
    validation_is_dataset = epoch_data.is_dataset(validation_data)
    for epoch in range(start_step // steps_per_epoch, epochs):
        first = max(0, start_step - epoch * steps_per_epoch)
        last = min(steps_per_epoch, total_steps - epoch * steps_per_epoch)
        if first >= last:  # a finished run, rerun: nothing left
            continue
        if is_dataset:
            source = data if epoch_source is None or epoch == 0 else (
                shard_global_batches(epoch_source(epoch), batch, shard,
                                     shards))
            x = epoch_data.epoch_dataset(source, first, last)
            y = weights = None
        else:
            order = epoch_data.epoch_order(
                epoch_data.num_examples(data), epoch, config.seed)
            rows = order[first * batch: last * batch]
            epoch_rows = epoch_data.take_rows(
                data, epoch_data.shard_rows(rows, batch, shard, shards))
            x, y, weights = (tuple(epoch_rows) + (None,))[:3] if isinstance(
                epoch_rows, tuple) else (epoch_rows, None, None)
        with warnings.catch_warnings():
            # Keras warns at the end of every dataset of unknown length
            # (here: validation; training passes its exact step count).
            warnings.filterwarnings("ignore", "Your input ran out of data")
            history = model.fit(
                x, y, sample_weight=weights,
                batch_size=None if is_dataset else local_batch,
                epochs=epoch + 1,
                initial_epoch=epoch, shuffle=False, callbacks=callbacks,
                verbose=0, validation_data=validation_data,
                validation_batch_size=(None if validation_is_dataset
                                       else batch),
                steps_per_epoch=(last - first) if is_dataset else None,
            )
        epoch_losses.append(float(history.history["loss"][-1]))
    seconds = time.perf_counter() - tick
    if epoch_losses:
        finished_loss = epoch_losses[-1]
    if config.checkpoint_dir and config.checkpoint_every and (
            start_step < total_steps):
        checkpointing.save_checkpoint(
            model, config.checkpoint_dir, total_steps,
            {"config": run_config, "finished": True,
             "final_loss": finished_loss}, config.keep_checkpoints)
    report = {
        "parameters": counts,
        "epoch_losses": epoch_losses,
        "total_steps": total_steps,
        "steps_per_epoch": steps_per_epoch,
        "batch_size": batch,
        "resumed_from_step": start_step,
        "seconds": seconds,
        # A finished run, rerun, trains nothing and reports its last loss.
        "final_loss": finished_loss,
        "finished_before": start_step == total_steps,
    }
    return model, report


def checkpoint_config(config, batch_size, steps_per_epoch, total_steps):
    """What a checkpoint records of `config`: every option that decides
    the steps taken, with the batch size, steps per epoch and total steps
    of the run (not its folders or what it logs)."""
    skipped = ("checkpoint_dir", "tensorboard_dir", "resume", "verbose",
               "checkpoint_every", "keep_checkpoints", "grad_norm_every",
               "attention_layer", "epochs", "steps")
    recorded = {k: v for k, v in dataclasses.asdict(config).items()
                if k not in skipped}
    recorded.update(batch_size=int(batch_size),
                    steps_per_epoch=int(steps_per_epoch),
                    total_steps=int(total_steps))
    return recorded


def _resume(model, directory, run_config, print_fn):
    """Loads the newest usable checkpoint; refuses one made under another
    config or beyond the run's end (CheckpointError, one line)."""
    metadata = checkpointing.load_checkpoint(
        model, directory,
        warn=lambda message: print_fn(f"warning: {message}"))
    where = metadata["arrays_path"]
    changes = checkpointing.config_changes(metadata.get("config", {}),
                                           run_config)
    if changes:
        names = ", ".join(f"{k} {a} there, {b} now"
                          for k, (a, b) in changes.items())
        raise checkpoint_files.CheckpointError(
            f"{where} was made with another config ({names}); resume with "
            "its options or start in another checkpoint folder")
    total = run_config["total_steps"]
    if metadata["step"] > total:
        raise checkpoint_files.CheckpointError(
            f"{where} is at step {metadata['step']}, beyond this run's "
            f"{total} steps; give more epochs or steps, or start in "
            "another checkpoint folder")
    if metadata["step"] == total:
        print_fn(f"the run is finished: {where} is at its last step "
                 f"({total}); nothing to train")
    return metadata
