"""`keras-mm eval`: retrieval, zero-shot with the data's own classes, a
JSON report and PNG figures for a model on the user's data."""

import json
import os
import zipfile

from keras_mm.cli.backend_flag import add_backend_flag
from keras_mm.cli.data_flags import add_data_flags
from keras_mm.cli.data_flags import data_options

BUILTIN_SPLITS = ("", "train", "validation", "test")


def register(subparsers):
    p = subparsers.add_parser(
        "eval",
        help="evaluate a model on your data: retrieval, zero-shot, "
        "report.json + PNG figures",
    )
    p.add_argument("--model", required=True,
                   help="a .keras model (self-contained, or with the "
                   "vocab.txt it was trained with beside it), a run folder "
                   "holding model.keras, or a local pretrained checkpoint "
                   "(folder or file)")
    p.add_argument("--data", required=True,
                   help="image–caption pairs: a CSV/TSV/JSONL manifest, "
                   "COCO captions JSON, an image folder (one sub-folder per "
                   "class) or WebDataset shards; builtin[:split] for the "
                   "quickstart's built-in shapes")
    p.add_argument("--zero-shot-data", metavar="DIR_OR_MANIFEST",
                   help="labelled images for zero-shot classification: an "
                   "image folder with one sub-folder per class, or a "
                   "manifest with a --label-key column (default: --data "
                   "when it has labels)")
    p.add_argument("--templates", action="append", metavar="TEMPLATE",
                   help="a zero-shot prompt template with one {} for the "
                   "class name, e.g. \"a photo of a {}.\" (repeatable; "
                   "default: a small open_clip-like set)")
    p.add_argument("--templates-file",
                   help="prompt templates, one per line (# comments)")
    add_data_flags(p)
    p.add_argument("--out", default="eval_out",
                   help="folder for report.json and the figures")
    p.add_argument("--vocab", help="vocab.txt of a model without its own "
                   "tokenizer (default: beside the model)")
    p.add_argument("--logs", help="training log: CSVLogger CSV, History "
                   "JSON or JSON lines (default: one beside the model)")
    p.add_argument("--num-samples", type=int, default=None,
                   help="evaluate on this many pairs drawn at random from "
                   "each data source (default: all; 64 from a built-in "
                   "split)")
    p.add_argument("--batch-size", type=int, default=64,
                   help="inputs embedded per batch (default: 64)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the --num-samples draw (default: 0)")
    add_backend_flag(p)
    p.set_defaults(run=run)


def _needs_vocabulary(path):
    """Whether a `.keras` file lacks its own text preprocessor (read from
    its config.json, without Keras)."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False  # Keras will say what is wrong with the file.
    preprocessors = (config.get("config") or {}).get("preprocessors") or {}
    return "text" not in preprocessors


def _templates(args):
    from keras_mm.cli.errors import UsageError

    templates = list(args.templates or [])
    if args.templates_file:
        if not os.path.isfile(args.templates_file):
            raise FileNotFoundError(
                f"No templates file at {args.templates_file}")
        with open(args.templates_file, encoding="utf-8") as f:
            templates += [line.strip() for line in f
                          if line.strip() and not line.startswith("#")]
        if not templates:
            raise UsageError(f"keras-mm eval: {args.templates_file} holds no "
                             "templates")
    for template in templates:
        if template.count("{}") != 1:
            raise UsageError(
                f"keras-mm eval: template {template!r} needs one {{}} for "
                "the class name, e.g. \"a photo of a {}.\"")
    return templates or None


def _check_data(path, flag, options, need_label):
    """Checks a data source's kind and columns from its header or folder
    names (no Keras); nothing for the built-in data."""
    from keras_mm.cli.errors import UsageError

    name, _, split = path.partition(":")
    if name == "builtin":
        if split not in BUILTIN_SPLITS:
            raise UsageError(f"keras-mm eval: unknown built-in split "
                             f"{split!r} for {flag} (use builtin:test)")
        return
    from keras_mm.data.sources import check_source

    check_source(path, **options, need_caption=flag == "--data",
                 need_label=need_label)


def check_args(args):
    """Every check that needs no Keras: data, columns, templates, paths."""
    from keras_mm.cli.errors import UsageError

    if args.num_samples is not None and args.num_samples < 2:
        raise UsageError(f"keras-mm eval: --num-samples must be >= 2, "
                         f"got {args.num_samples}")
    if args.batch_size < 1:
        raise UsageError(f"keras-mm eval: --batch-size must be >= 1, "
                         f"got {args.batch_size}")
    options = data_options(args)
    # Zero-shot data must carry labels; so must --data when an explicit
    # --label-key is meant for it.
    _check_data(args.data, "--data", options,
                bool(options.get("label_key")) and not args.zero_shot_data)
    if args.zero_shot_data:
        _check_data(args.zero_shot_data, "--zero-shot-data", options, True)
    templates = _templates(args)
    if not os.path.exists(args.model):
        raise FileNotFoundError(f"No model at {args.model}")
    if os.path.isfile(os.path.join(args.model, "model.keras")):
        args.model = os.path.join(args.model, "model.keras")  # A run folder.
    for flag, path in (("--vocab", args.vocab), ("--logs", args.logs)):
        if path and not os.path.isfile(path):
            raise FileNotFoundError(f"No such file: {path} ({flag})")
    if (not args.vocab and os.path.isfile(args.model)
            and args.model.endswith(".keras")
            and _needs_vocabulary(args.model)):
        beside = os.path.join(os.path.dirname(os.path.abspath(args.model)),
                              "vocab.txt")
        if not os.path.exists(beside):
            raise FileNotFoundError(
                f"No vocabulary at {beside} ({args.model} has no tokenizer "
                "of its own: pass --vocab, the vocab.txt it was trained "
                "with)")
    return templates, options


def run(args):
    templates, options = check_args(args)

    from keras_mm.demos.eval_data import builtin_eval_data
    from keras_mm.demos.eval_data import is_builtin
    from keras_mm.evaluation.report import evaluate_model

    def source(spec):
        # The built-in data is the application's to supply.
        if is_builtin(spec):
            return builtin_eval_data(spec, args.num_samples, args.seed)
        return spec

    report = evaluate_model(
        args.model, data=source(args.data), out_dir=args.out,
        zero_shot_data=args.zero_shot_data and source(args.zero_shot_data),
        templates=templates,
        vocabulary=args.vocab, logs=args.logs, num_samples=args.num_samples,
        seed=args.seed, batch_size=args.batch_size,
        **{k: v for k, v in options.items() if v is not None},
    )
    r = report["retrieval"]
    for direction, arrow in (("image_to_text", "image→text"),
                             ("text_to_image", "text→image")):
        print(f"{arrow} R@1/5/10: " + " / ".join(
            f"{r[direction][f'R@{k}']:.3f}" for k in (1, 5, 10)))
    if report["zero_shot"]:
        z = report["zero_shot"]
        print(f"zero-shot top-1 {z['top1']:.3f}, top-5 {z['top5']:.3f} "
              f"over {z['num_classes']} classes ({z['num_images']} images)")
    for note in report["notes"]:
        print(f"note: {note}")
    print(f"wrote {os.path.join(args.out, 'report.json')} and "
          f"{len(report['figures'])} figures")
