"""`keras-mm train`: a recipe plus options, e.g. `--set learning_rate=3e-4`.

Recipes: `clip` (the quickstart CLIP on the built-in data, every option of
`keras_mm.training.TrainConfig`) and `staged` (unimodal pretraining →
alignment → fine-tuning, with its report).
"""

import json
import os

from keras_mm.cli.main import UsageError

BACKENDS = ("jax", "tensorflow", "torch")
RECIPES = ("clip", "staged")
SIZES = ("tiny", "small")


def register(subparsers):
    p = subparsers.add_parser("train", help="train with a recipe (clip, "
                              "staged) and fine-tuning options")
    p.add_argument("--recipe", choices=RECIPES, default="clip")
    p.add_argument("--size", choices=SIZES, default="tiny")
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--out", default="train_out")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any TrainConfig option, e.g. --set lora_rank=4")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--accumulation-steps", type=int)
    p.add_argument("--precision",
                   choices=("float32", "mixed_float16", "mixed_bfloat16"))
    p.add_argument("--freeze", help="comma-separated towers to freeze")
    p.add_argument("--lora-rank", type=int)
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--distribution", choices=("none", "data", "model"),
                   default="none")
    p.add_argument("--mesh", help="device mesh, e.g. 2x4 (with "
                   "--distribution data|model)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


def _assignments(args):
    flags = {"epochs": args.epochs, "batch_size": args.batch_size,
             "learning_rate": args.learning_rate,
             "accumulation_steps": args.accumulation_steps,
             "precision": args.precision, "freeze": args.freeze,
             "lora_rank": args.lora_rank,
             "checkpoint_every": args.checkpoint_every}
    return [f"{k}={v}" for k, v in flags.items() if v is not None] + list(
        args.set)


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


def run(args):
    from keras_mm.training.config import TrainConfig

    assignments = _assignments(args)
    try:
        TrainConfig().override(assignments)
    except (ValueError, TypeError) as error:
        raise UsageError(f"keras-mm train: {error}") from None
    _configure_distribution(args.distribution, args.mesh)
    os.makedirs(args.out, exist_ok=True)
    if args.recipe == "staged":
        from keras_mm.training.recipes.staged import run_staged

        run_staged(args.out, size=args.size, seed=args.seed,
                   overrides=assignments)
        return
    from keras_mm.training.recipes.clip import run_clip

    report = run_clip(args.out, size=args.size, seed=args.seed,
                      overrides=assignments)
    print(json.dumps({k: report[k] for k in ("parameters", "epoch_losses",
                                             "resumed_from_step")}))
