"""`keras-mm serve`: an HTTP embedding and search service for a model."""

from keras_mm.cli.backend_flag import add_backend_flag


def register(subparsers):
    from keras_mm.cli.data_flags import add_data_flags

    p = subparsers.add_parser(
        "serve",
        help="serve embeddings and /search over HTTP (needs the serve extra)",
    )
    p.add_argument("--model", required=True,
                   help="a .keras file (e.g. RUN/model.keras), a run or "
                   "quickstart folder, or a `keras-mm export` folder")
    p.add_argument("--index", default=None,
                   help="image-caption pairs (manifest, image folder, COCO "
                   "JSON or shards) or 'builtin', indexed once for /search; "
                   "or a `keras-mm index build` folder (FAISS, filters)")
    add_data_flags(p)
    p.add_argument("--index-dir", default=None,
                   help="where the index is saved (default: serve_index/ "
                   "in the model's folder; never the data's folder)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000,
                   help="port to listen on (default: 8000)")
    p.add_argument("--runtime", choices=("keras", "litert"), default=None,
                   help="default: litert for an export folder, else keras")
    p.add_argument("--litert-mode", choices=("float32", "int8"),
                   default="float32",
                   help="which exported files to serve (default: float32)")
    p.add_argument("--vocab", default=None,
                   help="vocab.txt (default: next to the model)")
    add_backend_flag(p)
    p.add_argument("--max-batch-size", type=int, default=32,
                   help="most requests batched into one model call "
                   "(default: 32)")
    p.add_argument("--buckets", default=None, metavar="N,N,...",
                   help="batch sizes the model is compiled for; a batch is "
                   "padded to the next one (default: 1,4,8,16,32 up to "
                   "--max-batch-size). Finer steps waste less on padding "
                   "when replicas see small batches, at more compile time")
    p.add_argument("--max-wait-ms", type=float, default=2.0,
                   help="how long a request waits for others to batch "
                   "with (default: 2.0)")
    p.add_argument("--cache-size", type=int, default=4096,
                   help="LRU entries; 0 disables the cache")
    p.add_argument("--cache-ttl-s", type=float, default=600.0,
                   help="seconds a cached embedding is kept (default: 600)")
    p.add_argument("--cache", default=None, metavar="redis://HOST:PORT",
                   help="share cached embeddings across workers and "
                   "replicas in this Redis server (needs the redis extra; "
                   "size cap: Redis' --maxmemory); default: an LRU in "
                   "each worker")
    p.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024,
                   help="larger request bodies are refused with 413 "
                   "(default: 4 MiB)")
    limits = p.add_argument_group(
        "limits", "what one client may ask (bad requests get their own 4xx)")
    limits.add_argument("--max-items", type=int, default=64,
                        help="most texts/images/clips in one request")
    limits.add_argument("--max-pixels", type=int, default=16_000_000,
                        help="most pixels an image may declare, checked "
                        "from its header before decoding (413 beyond)")
    limits.add_argument("--max-k", type=int, default=100,
                        help="largest k of /search")
    limits.add_argument("--max-queue", type=int, default=1024,
                        help="items waiting for the model per modality; "
                        "beyond it requests get 503 (retry later)")
    limits.add_argument("--read-timeout-s", type=float, default=10.0,
                        help="time to send a request's headers, then its "
                        "body (408 and the connection closed after it)")
    limits.add_argument("--idle-timeout-s", type=float, default=5.0,
                        help="idle keep-alive connections close after it")
    limits.add_argument("--api-key-file", default=None,
                        help="file of API keys, one per line: every "
                        "endpoint but /healthz and /docs then wants "
                        "'Authorization: Bearer <key>'")
    limits.add_argument("--rate-limit", type=float, default=0.0,
                        help="requests per second per client address "
                        "(429 beyond); 0: no limit")
    limits.add_argument("--rate-limit-burst", type=int, default=0,
                        help="requests a client may send at once; 0: "
                        "twice --rate-limit")
    p.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes, each with its own copy "
                   "of the model, batcher and cache (/metrics sums them; "
                   "with --cache they share the Redis entries)")
    ray = p.add_argument_group(
        "Ray Serve", "--engine ray: replicas of the service behind Ray "
        "Serve's proxy; with --front-replicas, the front (validation, "
        "preprocessing, cache, search) and the towers (the model) as two "
        "deployments")
    ray.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="local: uvicorn in this process (or --workers "
                     "processes); ray: Ray Serve (needs the ray-serve extra)")
    ray.add_argument("--replicas", type=int, default=1,
                     help="replicas running the model, each with its own "
                     "copy and cores (with --max-replicas: the autoscaling "
                     "minimum)")
    ray.add_argument("--max-replicas", type=int, default=None,
                     help="autoscale the towers between --replicas and this")
    ray.add_argument("--front-replicas", type=int, default=0,
                     help="0: each replica runs the whole service, one hop "
                     "from the proxy; N: N front replicas ahead of the "
                     "tower replicas (share --cache redis://… to share "
                     "cached embeddings across replicas)")
    ray.add_argument("--cpus-per-replica", type=int, default=1,
                     help="CPUs, and compute threads, of each replica "
                     "running the model")
    ray.add_argument("--ray-address", default=None,
                     help="a running cluster (e.g. after `ray start --head`: "
                     "auto); default: start a local one")
    p.set_defaults(run=run)


def _check(args):
    """Checks every flag; returns the compiled batch sizes (`--buckets`
    parsed, or the default steps)."""
    from keras_mm.cli.errors import UsageError

    if not 0 <= args.port <= 65535:
        raise UsageError(f"keras-mm serve: --port must be in [0, 65535], "
                         f"got {args.port}")
    for name in ("max_batch_size", "max_body_bytes", "workers",
                 "max_items", "max_pixels", "max_k", "max_queue"):
        if getattr(args, name) < 1:
            raise UsageError(f"keras-mm serve: --{name.replace('_', '-')} "
                             f"must be >= 1")
    if args.cache_size < 0 or args.max_wait_ms < 0 or args.cache_ttl_s <= 0:
        raise UsageError("keras-mm serve: --cache-size and --max-wait-ms "
                         "must be >= 0 and --cache-ttl-s > 0")
    if args.cache is not None:
        if not args.cache.startswith(("redis://", "rediss://", "unix://")):
            raise UsageError("keras-mm serve: --cache must be a Redis URL "
                             f"(redis://HOST:PORT), got {args.cache!r}")
        if args.cache_size == 0:
            raise UsageError("keras-mm serve: --cache with --cache-size 0; "
                             "drop one of them")
        try:
            import redis  # noqa: F401
        except ImportError:
            raise UsageError("keras-mm serve --cache needs the redis extra: "
                             "pip install 'keras_mm[redis]'") from None
    buckets = _buckets(args)
    if args.engine == "ray":
        _check_ray(args)
    if not (args.read_timeout_s > 0 and args.idle_timeout_s > 0):
        raise UsageError("keras-mm serve: --read-timeout-s and "
                         "--idle-timeout-s must be > 0")
    if args.rate_limit < 0 or args.rate_limit_burst < 0:
        raise UsageError("keras-mm serve: --rate-limit and "
                         "--rate-limit-burst must be >= 0")
    if args.api_key_file is not None:
        import os

        if not os.path.isfile(args.api_key_file):
            raise UsageError(f"keras-mm serve: no API key file at "
                             f"{args.api_key_file}")
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("keras-mm serve needs the serve extra: pip install "
                         "'keras_mm[serve]'") from None
    return buckets


def _buckets(args):
    from keras_mm.cli.errors import UsageError

    if args.buckets is None:
        steps = (b for b in (4, 8, 16, 32) if b < args.max_batch_size)
    else:
        try:
            steps = [int(b) for b in args.buckets.split(",")]
        except ValueError:
            steps = [0]
        if min(steps) < 1 or max(steps) > args.max_batch_size:
            raise UsageError(
                "keras-mm serve: --buckets must be comma-separated sizes in "
                f"[1, --max-batch-size={args.max_batch_size}], got "
                f"{args.buckets!r}")
    return tuple(sorted({1, *steps, args.max_batch_size}))


def _check_ray(args):
    from keras_mm.cli.errors import UsageError

    for name in ("replicas", "cpus_per_replica"):
        if getattr(args, name) < 1:
            raise UsageError(f"keras-mm serve: --{name.replace('_', '-')} "
                             "must be >= 1")
    if args.front_replicas < 0:
        raise UsageError("keras-mm serve: --front-replicas must be >= 0")
    if args.max_replicas is not None and args.max_replicas < args.replicas:
        raise UsageError("keras-mm serve: --max-replicas must be >= "
                         f"--replicas ({args.replicas})")
    if args.workers > 1:
        raise UsageError("keras-mm serve: --workers is for --engine local; "
                         "with --engine ray use --replicas")
    try:
        import ray.serve  # noqa: F401
    except ImportError:
        raise UsageError("keras-mm serve --engine ray needs the ray-serve "
                         "extra: pip install 'keras_mm[ray-serve]'") from None


def _check_files(args):
    """The model and the index data, checked before Keras loads."""
    import os

    from keras_mm.cli.data_flags import data_options
    from keras_mm.cli.errors import UsageError

    if not os.path.exists(args.model):
        raise FileNotFoundError(f"No model at {args.model}")
    exported = os.path.isfile(os.path.join(args.model, "export.json"))
    if exported and args.runtime == "keras":
        raise UsageError(f"keras-mm serve: {args.model} is an export folder "
                         "(no .keras model); serve it with --runtime litert")
    from keras_mm.indexing.index_files import is_index_folder

    if args.index not in (None, "builtin") and not is_index_folder(
            args.index):
        pattern = any(c in args.index for c in "{*?[")  # Shard specs.
        if not pattern and not os.path.exists(args.index):
            raise FileNotFoundError(f"No manifest at {args.index}")
        from keras_mm.data.sources import check_source

        check_source(args.index, modality="image", **data_options(args))
    if not exported and args.runtime != "litert":
        from keras_mm.cli.commands.export import model_file
        from keras_mm.cli.commands.export import saved_model_summary

        path = model_file(args.model)
        summary = saved_model_summary(path)
        vocab = args.vocab or os.path.join(os.path.dirname(path),
                                           "vocab.txt")
        if ("text" in summary["modalities"]
                and "text" not in summary["preprocessors"]
                and not os.path.exists(vocab)):
            raise FileNotFoundError(
                f"No vocabulary at {vocab}: {path} has no tokenizer of its "
                "own (use --vocab)")


def run(args):
    buckets = _check(args)
    _check_files(args)

    from keras_mm.cli.data_flags import data_options
    from keras_mm.serving import server

    if args.index == "builtin":
        from keras_mm.demos.search_data import builtin_index_source

        # The server indexes files; the built-in split is written once.
        args.index = builtin_index_source(args.model, args.index_dir)
    config = dict(
        model=args.model, runtime=args.runtime, vocabulary=args.vocab,
        litert_mode=args.litert_mode, index=args.index,
        index_dir=args.index_dir, data_options=data_options(args),
        buckets=buckets,
        max_batch_size=args.max_batch_size, max_wait_ms=args.max_wait_ms,
        cache_size=args.cache_size, cache_ttl_s=args.cache_ttl_s,
        cache_url=args.cache,
        max_items=args.max_items, max_pixels=args.max_pixels,
        max_queue=args.max_queue,
    )
    limits = _limits(args)
    # With workers, this process only checks the model and builds the
    # index once (saved to disk); each worker then loads both itself.
    service = server.load_service(
        **config, warmup=args.workers == 1 and args.engine == "local")
    if service.index is not None:
        state = "loaded" if service.index_loaded else "built and saved"
        skipped = (f" ({service.index.skipped} unreadable pairs skipped)"
                   if service.index.skipped else "")
        print(f"[serve] search index {state}: {len(service.index)} "
              f"images{skipped}; search page at "
              f"http://{args.host}:{args.port}/", flush=True)
    if args.engine == "ray":
        _serve_on_ray(args, service, config, limits)
        return
    if args.workers > 1:
        modalities = ", ".join(service.modalities)
        runtime = service.runtime.name
        service.close()
        del service
        cache = ("cache in " + args.cache if args.cache
                 else "per-worker cache")
        print(f"[serve] starting {args.workers} workers ({runtime} "
              f"runtime, {cache}, summed metrics); serving "
              f"{modalities} on http://{args.host}:{args.port}", flush=True)
        server.serve_workers(
            {**config, "limits": limits},
            host=args.host, port=args.port, workers=args.workers,
        )
        return
    print(f"[serve] {service.runtime.name} runtime warmed up; serving "
          f"{', '.join(service.modalities)} on "
          f"http://{args.host}:{args.port}", flush=True)
    server.serve(service, host=args.host, port=args.port, limits=limits)


def _serve_on_ray(args, service, config, limits):
    from keras_mm import backend
    from keras_mm.serving.ray_serve import serve_on_ray

    modalities = ", ".join(service.modalities)
    service.close()
    del service
    scaling = (f"{args.replicas} to {args.max_replicas}"
               if args.max_replicas else str(args.replicas))
    cache = "cache in " + args.cache if args.cache else "per-replica cache"
    layout = (f"{args.front_replicas} front replicas ahead of {scaling} "
              "tower replicas" if args.front_replicas
              else f"{scaling} service replicas")
    print(f"[serve] starting Ray Serve: {layout} "
          f"({args.cpus_per_replica} CPU each), {cache}; serving "
          f"{modalities} on "
          f"http://{args.host}:{args.port} once the replicas are up",
          flush=True)
    serve_on_ray(config, host=args.host, port=args.port,
                 address=args.ray_address, limits=limits,
                 replicas=args.replicas, max_replicas=args.max_replicas,
                 front_replicas=args.front_replicas,
                 cpus_per_replica=args.cpus_per_replica,
                 backend=backend.name(), ready=lambda: print(
                     "[serve] Ray Serve ready on "
                     f"http://{args.host}:{args.port}", flush=True))


def _limits(args):
    from keras_mm.serving.serving_limits import ServingLimits
    from keras_mm.serving.serving_limits import read_api_keys

    keys = (read_api_keys(args.api_key_file) if args.api_key_file
            else ())
    return ServingLimits(
        max_body_bytes=args.max_body_bytes, max_k=args.max_k,
        read_timeout_s=args.read_timeout_s,
        idle_timeout_s=args.idle_timeout_s,
        rate_limit_per_s=args.rate_limit,
        rate_limit_burst=args.rate_limit_burst, api_keys=keys)
