"""`keras-mm export`: LiteRT or ONNX towers of a model, checked on the
user's data, in a self-contained folder (`export.json`, tokenizer and
preprocessing assets) that `keras-mm serve` and a mobile app read."""

FORMATS = ("litert", "onnx")
QUANTIZE = ("none", "float16", "dynamic", "int8")
BUILTIN = "builtin"


def register(subparsers):
    from keras_mm.cli.backend_flag import add_backend_flag
    from keras_mm.cli.data_flags import add_data_flags

    p = subparsers.add_parser(
        "export",
        help="export each tower to LiteRT or ONNX, calibrated and checked "
             "on your data, into a folder serve and mobile apps read",
    )
    p.add_argument("--model", required=True,
                   help="a .keras file (e.g. RUN/model.keras) or a folder "
                        "holding model.keras")
    p.add_argument("--data", required=True,
                   help="pairs to calibrate INT8 and check the export on "
                        "(a manifest, image folder, COCO JSON or shards), "
                        "split into a calibration and a check part; "
                        "'builtin' for the built-in shapes")
    add_data_flags(p)
    p.add_argument("--format", choices=FORMATS, default="litert",
                   help="litert (.tflite, default) or onnx")
    p.add_argument("--quantize", choices=QUANTIZE, default="int8",
                   help="int8: LiteRT: the faster of dynamic-range and "
                        "full-integer; ONNX: int8 weights (dynamic)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--vocab", default=None,
                   help="vocabulary file of a model without its own "
                        "tokenizer (default: vocab.txt beside --model)")
    p.add_argument("--representative-size", type=int, default=100,
                   help="pairs calibrating full-integer INT8")
    p.add_argument("--eval-size", type=int, default=500,
                   help="held-out pairs for the parity and R@K checks")
    p.add_argument("--max-r1-drop", type=float, default=0.02,
                   help="the export fails if its Recall@1 on the check "
                        "pairs drops more than this (default: 0.02)")
    add_backend_flag(p)
    p.set_defaults(run=run)


def saved_model_summary(path):
    """`{"modalities", "preprocessors"}` read from a `.keras` file's
    `config.json`, without Keras (so argument checks stay fast).

    Example:
    ```python
    saved_model_summary("run/model.keras")
    # {'modalities': ['image', 'text'], 'preprocessors': ['image', 'text']}
    ```
    """
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise ValueError(f"{path} is not a .keras model file") from None
    inner = config.get("config", {})
    if "encoders" not in inner:
        raise ValueError(f"{path} holds a {config.get('class_name')}, not a "
                         "ContrastiveModel (no encoders)")
    return {"modalities": list(inner["encoders"]),
            "preprocessors": list(inner.get("preprocessors") or {})}


def model_file(path):
    """`--model` as a `.keras` path: the file, or `model.keras` inside a
    run folder. FileNotFoundError naming the path otherwise."""
    import os

    if os.path.isdir(path):
        inner = os.path.join(path, "model.keras")
        if os.path.isfile(inner):
            return inner
        raise FileNotFoundError(f"No model.keras in {path}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model at {path}")
    return path


def _check(args):
    """Everything that can be checked before Keras loads."""
    import os

    from keras_mm.cli.data_flags import data_options
    from keras_mm.cli.errors import UsageError

    if args.format == "onnx" and args.quantize == "float16":
        raise UsageError("keras-mm export: --format onnx takes --quantize "
                         "none, dynamic or int8")
    if args.format == "onnx":
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            raise UsageError("keras-mm export: --format onnx needs "
                             "onnxruntime (pip install keras_mm[onnx])")
    if args.representative_size < 1 or args.eval_size < 2:
        raise UsageError("keras-mm export: --representative-size must be "
                         ">= 1 and --eval-size >= 2")
    out = args.out
    if os.path.isfile(out) or (
            os.path.isdir(out) and os.listdir(out)
            and not os.path.isfile(os.path.join(out, "export.json"))):
        # The export replaces the folder as a whole.
        raise UsageError(f"keras-mm export: --out {out} holds other files "
                         "and is not an export folder; give a new or empty "
                         "folder")
    path = model_file(args.model)
    summary = saved_model_summary(path)
    vocab = None
    if ("text" in summary["modalities"]
            and "text" not in summary["preprocessors"]):
        vocab = args.vocab or os.path.join(os.path.dirname(path),
                                           "vocab.txt")
        if not os.path.exists(vocab):
            raise FileNotFoundError(
                f"No vocabulary at {vocab}: {path} has no tokenizer of its "
                "own (use --vocab)")
    media = [m for m in summary["modalities"] if m != "text"]
    if args.data != BUILTIN:
        from keras_mm.data.sources import check_source

        check_source(args.data, modality=media[0] if media else "image",
                     **data_options(args))
    elif media != ["image"]:
        raise UsageError("keras-mm export: --data builtin has images only; "
                         "give pairs of the model's kind")
    return path, summary, vocab


def _pairs(args, model, summary, report):
    """The pairs of `--data` (`builtin`: the built-in shapes, as pairs)."""
    if args.data == BUILTIN:
        from keras_mm.data.pair import Pair
        from keras_mm.datasets.splits import image_text_split

        size = int(model.encoders["image"].input["images"].shape[1])
        shapes = image_text_split(
            "test", args.eval_size + args.representative_size, size)
        return [Pair(image.astype("uint8"), caption, f"builtin:{i}")
                for i, (image, caption) in enumerate(
                    zip(shapes["images"], shapes["captions"]))]

    from keras_mm.cli.data_flags import data_options
    from keras_mm.data.sources import read_pairs

    media = next(m for m in summary["modalities"] if m != "text")
    return read_pairs(args.data, modality=media, on_error="skip",
                      report=report, **data_options(args))


def _inputs(args, model, summary, vocab):
    """`(preprocessors, eval_inputs, captions, representative, data)`."""
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.export.export_data import export_inputs
    from keras_mm.export.export_data import model_preprocessors

    report = ErrorReport(verbose=False)
    pairs = _pairs(args, model, summary, report)
    preprocessors = model_preprocessors(model, vocab)
    eval_inputs, captions, representative = export_inputs(
        model, pairs, preprocessors,
        num_representative=args.representative_size,
        num_eval=args.eval_size, report=report, source=args.data)
    data = {"source": args.data, "pairs": len(pairs),
            "check_pairs": len(captions),
            "calibration_pairs": len(next(iter(representative.values()))),
            "skipped": sum(report.totals().values())}
    return preprocessors, eval_inputs, captions, representative, data


def run(args):
    import os

    from keras_mm.cli.errors import UsageError

    path, summary, vocab = _check(args)

    import keras_mm
    from keras_mm.export import ExportCheckError
    from keras_mm.export import ExportError
    from keras_mm.export.export_folder import export_folder

    model = keras_mm.load_model(path, compile=False)
    preprocessors, eval_inputs, captions, representative, data = _inputs(
        args, model, summary, vocab)
    if data.get("skipped"):
        print(f"[export] skipped {data['skipped']} unreadable pairs of "
              f"{args.data}", flush=True)
    try:
        report = export_folder(
            path, args.out, preprocessors, eval_inputs, captions,
            representative_inputs=representative, quantize=args.quantize,
            format=args.format, max_r1_drop=args.max_r1_drop, data=data,
            model=model)
    except (ExportError, ExportCheckError) as error:
        raise UsageError(f"keras-mm export: {error}".splitlines()[0])
    for modality, tower in report["towers"].items():
        print(f"{tower['path']}: {tower['mode']}, "
              f"{tower['size_bytes']:,} B, cosine {tower['cosine_min']:.4f}, "
              f"{tower['latency_ms']:.3f} ms (batch 1)")
    r = report["retrieval"]["image_to_text"]
    print(f"{report['runtime']} image→text R@1 {r['R@1']:.3f} R@5 "
          f"{r['R@5']:.3f} on {len(captions)} held-out pairs of "
          f"{args.data} (R@1 drop vs Keras {report['r1_drop']:.3f}); "
          f"calibrated on {data.get('calibration_pairs', 'built-in')} "
          f"pairs; {os.path.join(args.out, 'export.json')}")
