"""`keras-mm train --model START --train-data PATH --out RUN`: fine-tunes
a two-tower model on the user's pairs and fills the run folder
(`keras_mm.training.run_folder`)."""

import itertools
import os
import time
import zlib

import numpy as np

from keras_mm import backend
from keras_mm.distribution.collectives import process_shard
from keras_mm.training import run_folder
from keras_mm.training import run_options
from keras_mm.training.held_out import held_out_report
from keras_mm.training.held_out_callback import HeldOutCallback
from keras_mm.training.history_json import HistoryJson
from keras_mm.training.start import build_start
from keras_mm.training.start import describe_start

# Held out from the training data when there is no --val-data.
MIN_HELD_OUT, MAX_HELD_OUT = 2, 1000
# Held-out sets up to this size are cached in memory after the first pass.
CACHE_HELD_OUT = 2000
# Captions read from a stream to build a preset's tokenizer.
STREAM_CORPUS = 20000


def _data_kwargs(config, modality, report):
    return {**{k: config[k] for k in run_options.COLUMN_KEYS},
            "modality": modality, "report": report}


def hold_out(count, fraction, seed):
    """`(train_indices, held_out_indices)`: a fixed fraction chosen by
    `seed`, at least MIN_HELD_OUT and at most MAX_HELD_OUT pairs."""
    held = int(min(MAX_HELD_OUT, max(MIN_HELD_OUT, round(count * fraction))))
    if count - held < 1:
        raise ValueError(f"{count} training pairs are too few to hold out "
                         f"{held} for validation; give --val-data")
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[held:]), np.sort(order[:held])


def read_data(config, kind, modality="image", report=None):
    """`(train, validation, note)`: train is a list of Pair or a
    stream callable; validation a list of Pair. Skipped rows are counted
    in `report` (`keras_mm.data.ErrorReport`)."""
    from keras_mm.data.sources import read_pairs
    from keras_mm.data.sources import stream_pairs

    kwargs = _data_kwargs(config, modality, report)
    path = config["train_data"]
    if kind == "webdataset":
        stream = stream_pairs(path, **kwargs)
        if config["val_data"]:
            return stream, _read_val(config, modality, report), (
                f"validation: {config['val_data']}")
        return _hold_out_of_stream(stream, config, path)
    pairs = read_pairs(path, **kwargs)
    if not pairs:
        raise ValueError(f"{path}: no readable pairs")
    if config["val_data"]:
        return pairs, _read_val(config, modality, report), (
            f"validation: {config['val_data']}")
    train, held = hold_out(len(pairs), config["val_fraction"],
                           config["seed"])
    return [pairs[i] for i in train], [pairs[i] for i in held], (
        f"validation: {len(held)} of the {len(pairs)} pairs of {path} "
        f"held out ({config['val_fraction']:g}, seed {config['seed']}; no "
        "--val-data)")


def _read_val(config, modality, report):
    from keras_mm.data.sources import read_pairs

    keys = run_options.val_data_keys(config, modality)
    return read_pairs(config["val_data"], modality=modality, report=report,
                      **keys)


def _held(pair, fraction, seed):
    # A stable choice per sample (its shard and key), independent of order.
    digest = zlib.crc32(f"{seed}:{pair.source}:{pair.text}".encode())
    return digest % 10000 < fraction * 10000


def _hold_out_of_stream(stream, config, path):
    """Holds out a fixed fraction of a stream's samples (by a hash of
    their shard and key, at most MAX_HELD_OUT, found in one pass that
    stops at that many), and streams the rest for training."""
    fraction, seed = config["val_fraction"], config["seed"]
    validation = list(itertools.islice(
        (p for p in stream() if _held(p, fraction, seed)), MAX_HELD_OUT))
    if len(validation) < MIN_HELD_OUT:
        raise ValueError(f"{path}: too few pairs to hold out "
                         f"{fraction:g} of them; give --val-data")
    held = {(p.source, p.text) for p in validation}

    def train():
        return (p for p in stream() if (p.source, p.text) not in held)

    return train, validation, (
        f"validation: {len(validation)} pairs of {path} held out "
        f"({fraction:g} by a hash of each sample, seed {seed}; no "
        "--val-data)")


def epoch_seed(seed, epoch):
    """The shuffle seed of one epoch: stable across processes.

    Example:
    ```python
    epoch_seed(0, 0) == 0 and epoch_seed(0, 1) != epoch_seed(0, 2)
    ```
    """
    return seed if epoch == 0 else zlib.crc32(f"{seed}:{epoch}".encode())


def _captions(train):
    pairs = train() if callable(train) else train
    return [p.text for p in itertools.islice(pairs, STREAM_CORPUS)]


def _labels(pairs, train):
    """Class indices of the held-out pairs and the class names (of the
    training and held-out pairs), or `(None, None)` without labels."""
    labels = [p.meta.get("label") for p in pairs]
    if not labels or any(label in (None, "") for label in labels):
        return None, None
    names = set(map(str, labels))
    if not callable(train):
        names |= {str(p.meta["label"]) for p in train
                  if p.meta.get("label") not in (None, "")}
    names = sorted(names)
    index = {name: i for i, name in enumerate(names)}
    return [index[str(label)] for label in labels], names


def _evaluate(model, dataset, labels, class_names):
    # Class names go into the prompts with "_" read as a space.
    return held_out_report(model, dataset, labels, class_names and [
        n.replace("_", " ") for n in class_names])


def _counts(counts):
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def _summary(result):
    retrieval = result["retrieval"]
    parts = [f"{direction} R@1 {r['R@1']:.3f} R@5 {r['R@5']:.3f}"
             for direction, r in retrieval.items() if isinstance(r, dict)]
    if "top1" in result.get("zero_shot", {}):
        parts.append(f"zero-shot top1 {result['zero_shot']['top1']:.3f}")
    return "; ".join(parts)


def run_training(config, out, decision, source_kind="manifest",
                 print_fn=print):
    """Trains from a resolved run config into the run folder `out`.

    Args:
        config: dict. `keras_mm.training.run_options.resolve_options`'
            result, checked (`check_options`) with its columns resolved.
        out: str. The run folder (`RunFolder.prepare` already called).
        decision: str. `"start"`, `"resume"` or `"overwrite"`.
        source_kind: str. `check_source(train_data)["kind"]`.

    Returns:
        The report written to `RUN/report.json`.

    Example:
    ```python
    config = {**run_options.defaults(), "model": "clip-tiny",
              "train_data": "train.csv", "epochs": 2}
    RunFolder("run").prepare(config)
    report = run_training(config, "run", "start")
    ```
    """
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.model_dataset import model_dataset
    from keras_mm.data.model_dataset import model_modality
    from keras_mm.training.trainer import train

    run = run_folder.RunFolder(out)
    tick = time.perf_counter()
    seed = config["seed"]
    start = config["model"]
    described = describe_start(start)
    skipped = ErrorReport(verbose=False)
    train_pairs, val_pairs, note = read_data(
        config, source_kind, described["modality"], skipped)
    print_fn(note)
    if skipped.totals():
        print_fn(f"skipped while reading: {_counts(skipped.totals())}")
    captions = _captions(train_pairs) if described["kind"] == "preset" else ()
    model = build_start(start, captions, seed=seed)
    modality = model_modality(model)
    batch_size = config["batch_size"]
    count = None if callable(train_pairs) else len(train_pairs)
    if count is not None and count < batch_size:
        raise ValueError(f"--batch-size {batch_size} exceeds the {count} "
                         "training pairs")

    def train_data(epoch):
        # A fresh pipeline per epoch, shuffled by (seed, epoch): a run
        # resumed in a new process sees the batches of an uninterrupted one.
        return model_dataset(train_pairs, model, batch_size=batch_size,
                             shuffle=count or 1024,
                             seed=epoch_seed(seed, epoch),
                             drop_remainder=True, report=skipped)

    val_data = model_dataset(val_pairs, model, batch_size=batch_size,
                             report=skipped)
    if len(val_pairs) <= CACHE_HELD_OUT:
        # Passes over the held-out set (before, every epoch, after) then
        # replay memory instead of re-instantiating the pipeline.
        val_data = val_data.cache()
    labels, class_names = _labels(val_pairs, train_pairs)

    before = _evaluate(model, val_data, labels, class_names)
    print_fn(f"held-out before training: {_summary(before)}")

    steps_per_epoch = config.get("steps_per_epoch") or (
        count // batch_size if count else None)
    total = config.get("steps") or (
        steps_per_epoch * config["epochs"] if steps_per_epoch else None)
    # Known lengths are given to `train`, which then needs no counting
    # pass over the data (it repeats the dataset, so skipped samples
    # cannot end an epoch early).
    derived = {"steps_per_epoch": steps_per_epoch or 0,
               # TensorBoard by default: gradient norms once an epoch (or
               # every 100 steps), the last media block's attention.
               "grad_norm_every": config.get("grad_norm_every") or (
                   steps_per_epoch or 100),
               "attention_layer": config.get("attention_layer") or "auto"}
    if config["warmup_steps"]:
        if not total:
            raise ValueError("--warmup STEPS on streamed data needs --steps "
                             "or --steps-per-epoch")
        derived["warmup_fraction"] = min(1.0, config["warmup_steps"] / total)
    # In a torch data-parallel job process 0 alone writes the run folder.
    primary = process_shard()[0] == 0
    train_config = run_options.train_config(
        {**config, **derived}, checkpoint_dir=run.checkpoints,
        tensorboard_dir=run.logs if primary else "",
        resume=decision == "resume")
    if not train_config.checkpoint_every:
        # Resumable by default: one checkpoint per epoch (or 100 steps).
        import dataclasses

        train_config = dataclasses.replace(
            train_config, checkpoint_every=steps_per_epoch or 100)

    unused = [model]

    def build_model():
        # The model built above is reused under float32; under a mixed
        # policy it is rebuilt so its layers take the policy.
        if unused and train_config.precision == "float32":
            return unused.pop()
        return build_start(start, seed=seed,
                           preprocessors=model.preprocessors)

    # Recall@K and zero-shot first, so the history, TensorBoard and the
    # progress bar all see them; the grid goes to TensorBoard (process 0).
    callbacks = [HeldOutCallback(
                     val_data, labels, class_names and [
                         n.replace("_", " ") for n in class_names],
                     grid_captions=[p.text for p in val_pairs],
                     log_dir=run.logs if primary else None)]
    if primary:
        callbacks.append(HistoryJson(run.history))
    trained, result = train(build_model, train_data, train_config,
                            validation_data=val_data, callbacks=callbacks,
                            print_fn=print_fn)
    unused.clear()
    if result["finished_before"] and all(
            os.path.isfile(p) for p in (run.model, run.report)):
        # Nothing was trained: the run's model and report stand.
        print_fn(f"{run.path} is finished; kept {run.model} and "
                 f"{run.report}")
        return run_folder.read_json(run.report)
    after = _evaluate(trained, val_data, labels, class_names)
    print_fn(f"held-out after training: {_summary(after)}")
    if primary:
        run_folder.save_model(trained, run.model)
    report = {
        "backend": backend.name(),
        "start": start,
        "modality": modality,
        "train_data": config["train_data"],
        "train_pairs": count,
        "validation": note,
        "validation_pairs": len(val_pairs),
        "decision": decision,
        "skipped": skipped.totals(),
        "before": before,
        "after": after,
        "training": {k: v for k, v in result.items()
                     if isinstance(v, (int, float, str, list, dict))},
        "seconds": time.perf_counter() - tick,
    }
    if primary:
        run_folder.write_json(run.report, report)
        print_fn(f"wrote {run.model} and {run.report}")
    return report
