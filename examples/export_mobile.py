"""Train a small CLIP, then export both towers to LiteRT, checked.

    python examples/export_mobile.py --tiny
    python examples/export_mobile.py --quantize int8 --out export_out
    python examples/export_mobile.py --tiny --model-dir quickstart_out

`int8` tries dynamic-range and full-integer INT8 (calibrated on training
samples) and keeps, per tower, the faster one that still agrees with Keras.
"""

import argparse
import os

import keras_mm
from keras_mm.demos.export_data import builtin_export_data
from keras_mm.export import export_checked
from keras_mm.quickstart import run_quickstart


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--quantize", default="int8",
                        choices=("none", "float16", "dynamic", "int8"))
    parser.add_argument("--out", default="export_out")
    parser.add_argument("--model-dir", default=None,
                        help="a quickstart output (model.keras, vocab.txt) "
                             "to export instead of training one")
    args = parser.parse_args(argv)

    model_dir = args.model_dir
    if model_dir is None:
        model_dir = os.path.join(args.out, "model")
        run_quickstart(model_dir, size="tiny" if args.tiny else "small",
                       verbose=0)
    model_path = os.path.join(model_dir, "model.keras")
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, representative = builtin_export_data(
        model, os.path.join(model_dir, "vocab.txt"),
        num_eval=32 if args.tiny else 500,
        num_representative=8 if args.tiny else 100,
    )
    report = export_checked(
        model_path, os.path.join(args.out, "litert"),
        quantize=args.quantize, eval_inputs=eval_inputs, labels=captions,
        representative_inputs=representative,
        max_r1_drop=0.1 if args.tiny else 0.02,
        latency_runs=5 if args.tiny else 50,
    )
    for modality, tower in report["towers"].items():
        print(f"{modality}: {tower['mode']} {tower['size_bytes']:,} B "
              f"cosine {tower['cosine_min']:.4f} "
              f"{tower['latency_ms']:.3f} ms")
    print(f"R@1 drop vs Keras: {report['r1_drop']:.3f}")
    return report


if __name__ == "__main__":
    main()
