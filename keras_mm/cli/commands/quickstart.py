"""`keras-mm quickstart`: train → evaluate → export on the built-in data."""

from keras_mm.cli.backend_flag import add_backend_flag


def register(subparsers):
    p = subparsers.add_parser(
        "quickstart",
        help="train, evaluate and export a small CLIP on the built-in data",
    )
    add_backend_flag(p)
    p.add_argument("--out", default="quickstart_out",
                   help="folder for the model, exports and summary.json")
    p.add_argument("--size", choices=("tiny", "small", "full"),
                   default="full", help="tiny: seconds (CI); full: the demo")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the data and the initialisation")
    p.set_defaults(run=run)


def run(args):
    from keras_mm.quickstart import run_quickstart

    run_quickstart(out_dir=args.out, size=args.size, seed=args.seed)
