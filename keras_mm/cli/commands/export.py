"""`keras-mm export`: LiteRT or ONNX towers of a model, checked in runtime."""

FORMATS = ("litert", "onnx")
QUANTIZE = ("none", "float16", "dynamic", "int8")


def register(subparsers):
    p = subparsers.add_parser(
        "export",
        help="export each tower to LiteRT or ONNX, checked in the LiteRT "
             "interpreter or onnxruntime",
    )
    p.add_argument("--model", required=True, help="a .keras file")
    p.add_argument("--format", choices=FORMATS, default="litert")
    p.add_argument("--quantize", choices=QUANTIZE, default="int8",
                   help="int8: LiteRT: the faster of dynamic-range and "
                        "full-integer; ONNX: int8 weights (dynamic)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--vocab", default=None,
                   help="vocabulary file (default: vocab.txt beside --model)")
    p.add_argument("--representative-size", type=int, default=100,
                   help="training samples calibrating full-integer INT8")
    p.add_argument("--eval-size", type=int, default=500,
                   help="held-out pairs for the parity checks")
    p.add_argument("--max-r1-drop", type=float, default=0.02)
    p.set_defaults(run=run)


def run(args):
    import os

    from keras_mm.cli.main import UsageError

    if args.format == "onnx" and args.quantize == "float16":
        raise UsageError("keras-mm export: --format onnx takes --quantize "
                         "none, dynamic or int8")
    if args.format == "onnx":
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            raise UsageError("keras-mm export: --format onnx needs "
                             "onnxruntime (pip install keras_mm[onnx])")
    if not os.path.exists(args.model):
        raise FileNotFoundError(f"No model at {args.model}")
    if args.representative_size < 1 or args.eval_size < 2:
        raise UsageError("keras-mm export: --representative-size must be "
                         ">= 1 and --eval-size >= 2")
    vocab = args.vocab or os.path.join(os.path.dirname(args.model),
                                       "vocab.txt")
    if not os.path.exists(vocab):
        raise FileNotFoundError(f"No vocabulary at {vocab} (use --vocab)")

    import keras_mm
    from keras_mm.export import ExportError
    from keras_mm.export import builtin_export_data
    from keras_mm.export import export_checked

    model = keras_mm.load_model(args.model, compile=False)
    eval_inputs, captions, representative = builtin_export_data(
        model, vocab, num_eval=args.eval_size,
        num_representative=args.representative_size,
    )
    try:
        report = export_checked(
            args.model, args.out, quantize=args.quantize,
            eval_inputs=eval_inputs, labels=captions,
            representative_inputs=representative,
            max_r1_drop=args.max_r1_drop, format=args.format,
        )
    except ExportError as error:
        raise UsageError(f"keras-mm export: {error}".splitlines()[0])
    for modality, tower in report["towers"].items():
        print(f"{tower['path']}: {tower['mode']}, "
              f"{tower['size_bytes']:,} B, cosine {tower['cosine_min']:.4f}, "
              f"{tower['latency_ms']:.3f} ms (batch 1)")
    r = report["retrieval"]["image_to_text"]
    print(f"{report['runtime']} image→text R@1 {r['R@1']:.3f} R@5 {r['R@5']:.3f} "
          f"(R@1 drop vs Keras {report['r1_drop']:.3f}); "
          f"report: {os.path.join(args.out, 'report.json')}")
