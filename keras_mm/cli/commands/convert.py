"""`keras-mm convert`: a checkpoint to `.keras`, or `.keras` back out."""

from keras_mm.cli.backend_flag import add_backend_flag

TARGETS = ("keras", "hf", "open_clip")


def register(subparsers):
    p = subparsers.add_parser(
        "convert",
        help="convert a local pretrained checkpoint (any format keras-mm "
        "embed takes) to a .keras file, or a .keras CLIP/SigLIP to a "
        "Hugging Face or open_clip folder",
    )
    p.add_argument("path", help="a checkpoint folder or file, or a .keras "
                   "file")
    p.add_argument("--to", choices=TARGETS, default="keras",
                   help="keras (default): write --out as .keras; hf or "
                   "open_clip: write --out as that library's folder")
    p.add_argument("--out", required=True, help="output .keras file or "
                   "folder")
    p.add_argument("--image-size", type=int,
                   help="another image size (position embeddings are "
                   "interpolated)")
    add_backend_flag(p)
    p.set_defaults(run=run)


def run(args):
    import os

    from keras_mm.cli.errors import UsageError

    if not os.path.exists(args.path):
        raise FileNotFoundError(f"No checkpoint or model at {args.path}")
    if args.to == "keras":
        if not args.out.endswith(".keras"):
            raise UsageError("keras-mm convert: --out must end in .keras "
                             f"(got {args.out})")
        _to_keras(args)
    else:
        if not args.path.endswith(".keras"):
            raise UsageError(f"keras-mm convert: --to {args.to} takes a "
                             f".keras file (got {args.path})")
        import keras_mm
        from keras_mm.models.save_pretrained import save_pretrained

        model = keras_mm.load_model(args.path, compile=False)
        save_pretrained(model, args.out, to=args.to)
        print(f"wrote {args.to} folder {args.out}")


def _to_keras(args):
    import os

    from keras_mm.models import load_pretrained
    from keras_mm.models import PretrainedTower
    from keras_mm.training.run_folder import save_model

    options = {"image_size": args.image_size} if args.image_size else {}
    model = load_pretrained(args.path, **options)
    if isinstance(model, PretrainedTower):
        raise ValueError(
            f"{args.path} is a single {model.modality} tower; compose it "
            "with another (keras_mm.models.dual_encoder) and save that")
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    save_model(model, out)  # A failed save never replaces a good file.
    print(f"wrote {args.out}")
