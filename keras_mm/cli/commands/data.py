"""`keras-mm data`: check a manifest, shard it, write the built-in data."""

import json
import os

from keras_mm.cli.data_flags import add_data_flags
from keras_mm.cli.data_flags import data_options

# `data check`: rows that cannot be used make the check fail (exit 1), as a
# linter does; a manifest with no usable column or row is an error (exit 2).
UNUSABLE = ("missing_files", "undecodable", "empty_captions",
            "malformed_rows", "outside_root")


def register(subparsers):
    p = subparsers.add_parser("data", help="check, shard or write datasets")
    sub = p.add_subparsers(dest="data_command")
    check = sub.add_parser("check", help="report problems in a manifest")
    check.add_argument("manifest", help="a CSV/TSV/JSONL manifest of "
                       "media paths and captions")
    add_data_flags(check)
    check.add_argument("--max-words", type=int, default=64,
                       help="captions longer than this many words are "
                       "reported (default: 64)")
    check.add_argument("--json", help="also write the report here")
    check.set_defaults(run=run_check)
    shard = sub.add_parser("shard", help="write WebDataset tar shards")
    shard.add_argument("manifest", help="a CSV/TSV/JSONL manifest of "
                       "media paths and captions")
    shard.add_argument("--out", required=True,
                       help="folder for the .tar shards")
    shard.add_argument("--shard-size", type=int, default=1000,
                       help="samples per shard (default: 1000)")
    add_data_flags(shard, label=False)
    shard.set_defaults(run=run_shard)
    write = sub.add_parser("write-builtin",
                           help="write the built-in datasets to disk")
    write.add_argument("--out", required=True,
                       help="folder for the images, manifests and videos")
    write.add_argument("--train", type=int, default=256,
                       help="training pairs (default: 256)")
    write.add_argument("--validation", type=int, default=64,
                       help="validation pairs (default: 64)")
    write.add_argument("--test", type=int, default=64,
                       help="test pairs (default: 64)")
    write.add_argument("--videos", type=int, default=2,
                       help="videos with subtitle tracks (default: 2)")
    write.add_argument("--seed", type=int, default=0,
                       help="seed of the generated data (default: 0)")
    write.set_defaults(run=run_write)
    p.set_defaults(run=_need_subcommand)


def _need_subcommand(args):
    from keras_mm.cli.errors import UsageError

    raise UsageError("keras-mm data: a subcommand is required "
                     "(check, shard or write-builtin)")


def _need_file(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file: {path!r}")


def run_check(args):
    _need_file(args.manifest)  # Before the readers load.
    from keras_mm.data.check import check_manifest
    from keras_mm.data.check import format_check_report

    from keras_mm.data.errors import DataError
    from keras_mm.data.sources import check_source

    _need_file(args.manifest)
    options = data_options(args)
    columns = check_source(args.manifest, **options)["columns"]
    report = check_manifest(args.manifest, columns.media, columns.caption,
                            max_caption_words=args.max_words,
                            separator=options["separator"],
                            label_key=columns.label,
                            allow_outside_root=options.get(
                                "allow_outside_root", False))
    print(format_check_report(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    bad = sum(report["counts"][k] for k in UNUSABLE)
    if report["rows_ok"] == 0:
        raise DataError(args.manifest, None, f"no usable row ({bad} "
                        "refused; see the report above)")
    return 1 if bad else 0


def run_shard(args):
    _need_file(args.manifest)  # Before the readers load.
    from keras_mm.cli.errors import UsageError
    from keras_mm.data.manifest import read_manifest
    from keras_mm.data.webdataset import write_webdataset

    if args.shard_size < 1:
        raise UsageError("keras-mm data shard: --shard-size must be >= 1")
    from keras_mm.data.sources import check_source

    options = data_options(args)
    columns = check_source(args.manifest, **options)["columns"]
    pairs = read_manifest(args.manifest, columns.media, columns.caption,
                          separator=options["separator"],
                          label_key=columns.label,
                          allow_outside_root=options.get(
                              "allow_outside_root", False))
    paths = write_webdataset(pairs, args.out, args.shard_size)
    print(f"wrote {len(pairs)} samples to {len(paths)} shards in {args.out}")


def run_write(args):
    from keras_mm.cli.errors import UsageError
    from keras_mm.datasets.writer import write_to_disk

    sizes = {"train": args.train, "validation": args.validation,
             "test": args.test}
    if min(sizes.values()) < 1 or args.videos < 0:
        raise UsageError("keras-mm data write-builtin: sizes must be >= 1")
    paths = write_to_disk(args.out, sizes=sizes, num_videos=args.videos,
                          seed=args.seed)
    print(json.dumps(paths, indent=1))
