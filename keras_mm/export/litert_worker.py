"""Subprocess entry: `python -m keras_mm.export.litert_worker MODEL OUT`.

Runs under `KERAS_BACKEND=tensorflow` and prints the written paths as JSON
on its last line. Used by `keras_mm.export.export_litert`.
"""

import argparse
import json
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import keras_mm  # noqa: E402,F401  (registers the serializable classes)
from keras_mm.export.litert import export_litert  # noqa: E402
from keras_mm.export.litert import load_representative  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("out_dir")
    parser.add_argument("--modes", default="float32,int8")
    parser.add_argument("--modalities", default=None)
    parser.add_argument("--representative", default=None)
    args = parser.parse_args(argv)
    representative = (
        load_representative(args.representative)
        if args.representative else None
    )
    paths = export_litert(
        args.model,
        args.out_dir,
        modes=args.modes.split(","),
        modalities=args.modalities.split(",") if args.modalities else None,
        representative_inputs=representative,
    )
    print(json.dumps(paths))


if __name__ == "__main__":
    main()
