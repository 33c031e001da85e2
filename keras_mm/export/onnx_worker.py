"""Subprocess entry: `python -m keras_mm.export.onnx_worker MODEL OUT`.

Runs under `KERAS_BACKEND=torch` and prints the written paths as JSON on its
last line. Used by `keras_mm.export.export_onnx`.
"""

import argparse
import json
import os

os.environ["KERAS_BACKEND"] = "torch"

import keras_mm  # noqa: E402,F401  (registers the serializable classes)
from keras_mm.export.onnx import export_onnx  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("out_dir")
    parser.add_argument("--modalities", default=None)
    args = parser.parse_args(argv)
    paths = export_onnx(
        args.model, args.out_dir, modes=("float32",),
        modalities=args.modalities.split(",") if args.modalities else None,
    )
    print(json.dumps(paths))


if __name__ == "__main__":
    main()
