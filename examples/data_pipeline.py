"""Real files to `fit`: write the built-in data, check it, read it, train.

    python examples/data_pipeline.py [--tiny] [--out DIR]

1. writes the built-in image–text data as PNG + CSV/JSONL/COCO/WebDataset;
2. runs the `data check` report on the CSV manifest;
3. adds a broken row (missing file) and reads with `on_error="skip"`;
4. streams the WebDataset shards and the CSV into `ContrastiveModel.fit`.
"""

import argparse
import os
import tempfile

import keras

import keras_mm  # noqa: F401  (registers the classes)
from keras_mm import data
from keras_mm.datasets import write_to_disk
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a few dozen samples, one epoch (seconds)")
    parser.add_argument("--out", help="folder to write (default: a tmp dir)")
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="keras_mm_data_")
    n = 64 if args.tiny else 2048
    epochs = 1 if args.tiny else 3

    # === 1. The built-in data, on disk in every reader's format ===
    paths = write_to_disk(out, sizes={"train": n, "test": 32},
                          num_audio={}, num_videos=0, shard_size=32)
    print(f"wrote {n} training pairs under {out}")

    # === 2. What is wrong with it? ===
    report = data.check_manifest(paths["csv"]["train"])
    print("check:", report["counts"])

    # === 3. A broken row: skipped and counted, never fatal ===
    broken = os.path.join(out, "train_broken.csv")
    with open(paths["csv"]["train"]) as f:
        text = f.read()
    with open(broken, "w") as f:
        f.write(text + "images/train/nope.png,a red circle in the center\n")
    errors = data.ErrorReport()
    pairs = data.read_manifest(broken, on_error="skip", report=errors)

    # === 4. Train from the CSV, then from streamed WebDataset shards ===
    vocab = sorted({w for p in pairs for w in p.text.split()})
    pre = data.TextPreprocessor(
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + vocab,
        sequence_length=32)
    model = build_model(pre.vocabulary_size, 32, 1, 2, projection_dim=32)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    train = data.make_dataset(pairs, pre, batch_size=32, shuffle=n,
                              on_error="skip", report=errors,
                              drop_remainder=True)
    history = model.fit(train, epochs=epochs, verbose=2)
    shards = paths["shards"]["train"]
    stream = data.make_dataset(lambda: data.iter_webdataset(shards), pre,
                               batch_size=32, drop_remainder=True)
    history2 = model.fit(stream, epochs=1, verbose=2)
    print("skipped per epoch:", errors.epochs)
    return {"loss": history.history["loss"][-1],
            "stream_loss": history2.history["loss"][-1],
            "skipped": errors.epochs}


if __name__ == "__main__":
    main()
