"""`keras-mm train`: fine-tune a start on your pairs, or run a recipe.

    keras-mm train --model START --train-data PATH [--val-data PATH] --out RUN

START is a pretrained checkpoint (Hugging Face CLIP/SigLIP folder,
open_clip folder or file, keras-hub preset folder), a `.keras` file from an
earlier run, or a preset name (random init, tokenizer built from the
training captions). RUN receives config.yaml (rerun with `--config
RUN/config.yaml`), checkpoints/, logs/ (TensorBoard), history.json,
model.keras and report.json (held-out retrieval before and after). A rerun
into RUN resumes when the config matches; `--resume` also allows a new
length (epochs, steps) or checkpoint/log interval; `--overwrite` starts
afresh. Without --val-data a fixed fraction of the training pairs is held
out (--val-fraction, chosen by --seed).

`--recipe staged` with --model and --train-data runs three stages on the
user's data: unimodal pretraining (masked patches on the images, masked
tokens on the captions; --unimodal-data, default the train data),
alignment (contrastive, on the train pairs) and fine-tuning (a classifier
on the class labels, patch embedding frozen; --finetune-data, default the
train data). RUN/report.json holds each stage's data, start and metric
before and after; RUN/model.keras is the aligned, fine-tuned model.

Without --model/--train-data/--config, `--recipe clip` (the quickstart CLIP
on the built-in data) or `--recipe staged` (unimodal pretraining →
alignment → fine-tuning, with its report) runs on the built-in data.
"""

import argparse
import json
import os

from keras_mm.cli.backend_flag import add_backend_flag
from keras_mm.cli.data_flags import add_data_flags
from keras_mm.cli.errors import UsageError
from keras_mm.training import run_options

RECIPES = ("clip", "staged")
SIZES = ("tiny", "small")


def register(subparsers):
    p = subparsers.add_parser(
        "train", help="fine-tune a start on your data (--model, "
        "--train-data, --out RUN), or run a recipe (clip, staged)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="train_out",
                   help="the run folder (default: train_out)")
    p.add_argument("--resume", action="store_true",
                   help="resume RUN even if epochs, steps or the "
                   "checkpoint/log intervals changed")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in RUN, removing its earlier run")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any option by its config name, e.g. --set "
                   "lora_rank=4 (applied last)")
    p.add_argument("--recipe", choices=RECIPES,
                   help="clip (default) or staged; without --train-data "
                   "on the built-in data")
    p.add_argument("--size", choices=SIZES, default="tiny",
                   help="recipe size")
    add_backend_flag(p)
    p.add_argument("--distribution", choices=("none", "data", "model"),
                   default="none", help="data: every backend (torch: one "
                   "process per device, started by keras-mm launch or "
                   "torchrun); model: jax")
    p.add_argument("--mesh", help="device mesh, e.g. 2x4 (with "
                   "--distribution data|model)")
    run_options.add_train_flags(p)
    add_data_flags(p, outside_root=False)  # Not a run key yet.
    p.set_defaults(run=run)


def _configure_distribution(kind, mesh):
    if kind == "none":
        if mesh:
            raise UsageError("keras-mm train: --mesh needs --distribution "
                             "data or model")
        return None
    try:
        from keras_mm.distribution import configure_distribution
    except ImportError:
        raise UsageError("keras-mm train: distribution support is not "
                         "installed") from None
    return configure_distribution(kind, mesh)


def _uses_data(args):
    return any(getattr(args, k, None) for k in (
        "model", "train_data", "val_data", "unimodal_data", "finetune_data",
        "config"))


def run(args):
    if _uses_data(args):
        return _run_on_data(args)
    return _run_recipe(args)


# === Fine-tuning on the user's data ===

def _absolute(path):
    return os.path.abspath(path) if path else path


def check_run(args):
    """Everything checked before Keras loads: the options, START, the data
    and the run folder. Returns `(config, start, source_kind, decision)`;
    raises UsageError / FileNotFoundError / ValueError (one line each)."""
    from keras_mm.cli.tower_flags import check_tower_names
    from keras_mm.data.sources import check_source
    from keras_mm.training.run_folder import RunFolder
    from keras_mm.training.start import describe_start

    try:
        config = run_options.resolve_options(args)
        run_options.check_options(config)
    except ValueError as error:
        raise UsageError(f"keras-mm train: {error}") from None
    if config["recipe"] == "clip":
        config["recipe"] = None  # Fine-tuning on the data is the default.
    start = describe_start(config["model"])
    config["model"] = start["path"]
    check_tower_names(config, (start["modality"], "text"))
    info = check_source(config["train_data"], modality=start["modality"],
                        **{k: config[k] for k in run_options.COLUMN_KEYS})
    config["train_data"] = _absolute(config["train_data"])
    found = info.get("columns")
    if found is not None:
        # Record the columns read, so config.yaml names them.
        config["media_key"] = found.media
        config["caption_key"] = found.caption
        config["label_key"] = found.label
    if config["val_data"]:
        # Read with the training data's columns.
        run_options.val_data_keys(config, start["modality"])
        config["val_data"] = _absolute(config["val_data"])
    if config["recipe"] == "staged":
        from keras_mm.training.recipes.staged_checks import check_staged

        try:
            check_staged(config, start, info["kind"])
        except ValueError as error:
            raise UsageError(f"keras-mm train: {error}") from None
    else:
        for key in ("unimodal_data", "finetune_data"):
            if config[key]:
                raise UsageError(f"keras-mm train: --{key.replace('_', '-')}"
                                 " applies to --recipe staged")
    decision = RunFolder(args.out).decide(config, args.resume,
                                          args.overwrite)
    return config, start, info["kind"], decision


def _run_on_data(args):
    config, start, source_kind, decision = check_run(args)
    _configure_distribution(args.distribution, args.mesh)
    from keras_mm.distribution import process_shard
    from keras_mm.training.run_folder import RunFolder

    run_folder = RunFolder(args.out)
    if process_shard()[0] == 0:
        run_folder.prepare(config, args.resume, args.overwrite)
    # Other processes of a torch data-parallel job write nothing here.
    print({"start": f"training from {config['model']} ({start['what']}) "
                    f"into {run_folder.path}",
           "resume": f"resuming {run_folder.path} from its checkpoint",
           "overwrite": f"--overwrite: starting afresh in "
                        f"{run_folder.path}"}[decision])
    if config["recipe"] == "staged":
        from keras_mm.training.recipes.staged_on_data import (
            run_staged_on_data,
        )

        run_staged_on_data(config, run_folder.path, decision)
        return
    from keras_mm.training.run_training import run_training

    run_training(config, run_folder.path, decision, source_kind)


# === Recipes on the built-in data ===

def _assignments(args):
    fields = run_options.train_fields()
    assignments = []
    for key in fields:
        value = getattr(args, key, None)
        if value is None:
            continue
        if key == "precision":
            value = run_options.PRECISION_ALIASES[value]
        assignments.append(f"{key}={value}")
    freeze = [t for t, on in (("image", args.lock_image),
                              ("text", args.lock_text)) if on]
    if freeze:
        assignments.append("freeze=" + ",".join(
            ([args.freeze] if args.freeze else []) + freeze))
    return assignments + [
        f"{run_options.canonical_key(item.split('=', 1)[0])}="
        f"{item.split('=', 1)[1]}" if "=" in item else item
        for item in args.set]


def _run_recipe(args):
    from keras_mm.training.config import TrainConfig

    if args.resume or args.overwrite:
        raise UsageError("keras-mm train: --resume and --overwrite apply "
                         "to runs on --train-data")
    assignments = _assignments(args)
    try:
        overridden = TrainConfig().override(assignments)
    except (ValueError, TypeError) as error:
        raise UsageError(f"keras-mm train: {error}") from None
    from keras_mm.cli.tower_flags import check_tower_names

    check_tower_names(overridden, ("image", "text"))
    _configure_distribution(args.distribution, args.mesh)
    os.makedirs(args.out, exist_ok=True)
    seed = args.seed or 0
    if (args.recipe or "clip") == "staged":
        from keras_mm.demos.staged_recipe import run_staged

        run_staged(args.out, size=args.size, seed=seed,
                   overrides=assignments)
        return
    from keras_mm.demos.clip_recipe import run_clip

    report = run_clip(args.out, size=args.size, seed=seed,
                      overrides=assignments)
    print(json.dumps({k: report[k] for k in ("parameters", "epoch_losses",
                                             "resumed_from_step")}))
