"""`keras-mm index build`: embeds a collection into a FAISS index folder."""

import os

from keras_mm.cli.backend_flag import add_backend_flag


def register(subparsers):
    from keras_mm.cli.data_flags import add_data_flags

    p = subparsers.add_parser(
        "index", help="build a FAISS search index of a large collection "
        "(needs the index extra)")
    actions = p.add_subparsers(dest="action", parser_class=type(p))
    build = actions.add_parser(
        "build", help="embed a collection in resumable shards; write "
        "Parquet metadata, embeddings and a FAISS index chosen by size")
    build.add_argument("--model", required=True,
                       help="a .keras file, a checkpoint folder or a preset "
                       "name (as keras-mm embed)")
    build.add_argument("--data", required=True,
                       help="a manifest, image folder, COCO JSON or "
                       "WebDataset shards (shards/{000..099}.tar)")
    build.add_argument("--out", required=True,
                       help="the index folder; rerun with the same "
                       "arguments to resume after an interruption")
    build.add_argument("--modality", choices=("image", "text", "audio"),
                       default="image",
                       help="what is embedded: the media (default) or the "
                       "captions")
    build.add_argument("--vocab", default=None,
                       help="vocab.txt for text (default: beside the model)")
    build.add_argument("--batch-size", type=int, default=64,
                       help="rows embedded per model call")
    build.add_argument("--shard-size", type=int, default=10_000,
                       help="rows per shard, the unit a rerun skips")
    build.add_argument("--memory-budget-gb", type=float, default=8.0,
                       help="raw vectors above this size are compressed "
                       "with product quantization")
    build.add_argument("--engine", choices=("local", "ray"),
                       default="local",
                       help="where the model runs: in this process, or on "
                       "Ray Data, one replica per CPU slot (ray extra)")
    build.add_argument("--ray-address", default=None,
                       help="an existing Ray cluster ('auto' after ray start "
                       "--head); default: a local one with --replicas CPUs")
    build.add_argument("--replicas", type=int, default=2,
                       help="model replicas for --engine ray")
    add_data_flags(build)
    add_backend_flag(build)
    p.set_defaults(run=run, action=None)


def _check(args):
    import os

    from keras_mm.cli.errors import UsageError

    if args.action != "build":
        raise UsageError("keras-mm index: an action is required "
                         "(keras-mm index build ...)")
    for name in ("batch_size", "shard_size", "replicas"):
        if getattr(args, name) < 1:
            raise UsageError(f"keras-mm index build: "
                             f"--{name.replace('_', '-')} must be >= 1")
    if args.memory_budget_gb <= 0:
        raise UsageError("keras-mm index build: --memory-budget-gb must be "
                         "> 0")
    extras = {"faiss": "index", "pyarrow": "index"}
    if args.engine == "ray":
        extras["ray"] = "ray"
    for module, extra in extras.items():
        try:
            __import__(module)
        except ImportError:
            raise UsageError(f"keras-mm index build needs {module}: pip "
                             f"install 'keras_mm[{extra}]'") from None
    pattern = any(c in args.data for c in "{*?[")  # Shard specs.
    if not pattern and not os.path.exists(args.data):
        raise FileNotFoundError(f"No data at {args.data}")
    if os.path.isfile(args.out):
        raise UsageError(f"keras-mm index build: --out {args.out} is a "
                         "file; give a folder")


def run(args):
    _check(args)

    from keras_mm.cli.data_flags import data_options
    from keras_mm.data.sources import check_source

    options = data_options(args)
    modality = "image" if args.modality == "text" else args.modality
    check_source(args.data, modality=modality, **options)

    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.sources import read_pairs
    from keras_mm.indexing.pair_embedding import pair_embed_fn
    from keras_mm.inference.embedder import Embedder

    report = ErrorReport(verbose=False)
    pairs = read_pairs(args.data, modality=modality, on_error="skip",
                       report=report, **options)
    skipped = sum(report.totals().values())
    batch_size = args.batch_size
    if args.engine == "ray":
        from keras_mm.indexing import ray_engine

        ray = ray_engine.connect(args.ray_address, args.replicas)
        embed = ray_engine.ray_embed_fn(
            args.model, args.modality, args.vocab, args.replicas,
            args.batch_size)
        batch_size = args.shard_size  # Ray Data batches within a shard.
    else:
        embed = pair_embed_fn(Embedder.from_spec(
            args.model, vocabulary=args.vocab), args.modality)
    try:
        info = _build(args, pairs, embed, options, batch_size, skipped)
    finally:
        if args.engine == "ray" and not args.ray_address:
            ray.shutdown()
    print(f"[index] {info['count']} x {info['dim']} {args.modality} "
          f"embeddings ({info['rows_reused']} reused, {skipped} unreadable "
          f"rows skipped); {info['index_spec']} index, recall@10 "
          f"{info['recall_at_10']:.3f} on {info['recall_queries']} "
          f"held-out queries; wrote {args.out}", flush=True)
    return 0


def _build(args, pairs, embed, options, batch_size, skipped):
    from keras_mm.indexing import build_index
    from keras_mm.indexing.pair_embedding import build_fingerprint

    return build_index(
        pairs, embed, args.out,
        fingerprint=build_fingerprint(args.data, args.model, args.modality,
                                      options),
        shard_size=args.shard_size, batch_size=batch_size,
        memory_budget=int(args.memory_budget_gb * 1024**3),
        description={"model": args.model,
                     "data": os.path.abspath(args.data),
                     "modality": args.modality, "skipped": skipped,
                     "engine": args.engine})
