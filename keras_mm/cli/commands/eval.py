"""`keras-mm eval`: a JSON report and PNG figures for a saved model."""

import os

BACKENDS = ("jax", "tensorflow", "torch")


def register(subparsers):
    p = subparsers.add_parser(
        "eval",
        help="evaluate a saved model: report.json + PNG figures",
    )
    p.add_argument("--model", required=True,
                   help="a .keras contrastive model (its vocab.txt beside it)")
    p.add_argument("--data", default="builtin:test",
                   help="builtin, builtin:<train|validation|test>, or a "
                   "CSV/TSV/JSONL manifest (image, caption)")
    p.add_argument("--out", default="eval_out",
                   help="folder for report.json and the figures")
    p.add_argument("--vocab", help="vocab.txt (default: beside the model)")
    p.add_argument("--logs", help="training log: CSVLogger CSV, History "
                   "JSON or JSON lines (default: one beside the model)")
    p.add_argument("--num-samples", type=int, default=None,
                   help="pairs drawn from a built-in split (default 64), or "
                   "the first rows of a manifest (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=BACKENDS,
                   help="Keras backend (default: $KERAS_BACKEND)")
    p.set_defaults(run=run)


def run(args):
    from keras_mm.cli.main import UsageError

    name, _, split = args.data.partition(":")
    if name == "builtin":
        if split not in ("", "train", "validation", "test"):
            raise UsageError(f"keras-mm eval: unknown built-in split "
                             f"{split!r} (use builtin:test)")
    elif not os.path.exists(args.data):
        raise FileNotFoundError(f"No data at {args.data}")
    if args.num_samples is not None and args.num_samples < 2:
        raise UsageError(f"keras-mm eval: --num-samples must be >= 2, "
                         f"got {args.num_samples}")
    for path in (args.model, args.vocab, args.logs):
        if path and not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path}")

    from keras_mm.evaluation.report import evaluate_model

    report = evaluate_model(
        args.model, data=args.data, out_dir=args.out, vocabulary=args.vocab,
        logs=args.logs, num_samples=args.num_samples, seed=args.seed,
    )
    r = report["retrieval"]
    print(f"image→text R@1/5/10: "
          + " / ".join(f"{r['image_to_text'][f'R@{k}']:.3f}"
                       for k in (1, 5, 10)))
    if report["zero_shot"]:
        z = report["zero_shot"]
        print(f"zero-shot top-1 {z['top1']:.3f}, top-5 {z['top5']:.3f} "
              f"over {z['num_classes']} classes")
    for note in report["notes"]:
        print(f"note: {note}")
    print(f"wrote {os.path.join(args.out, 'report.json')} and "
          f"{len(report['figures'])} figures")
