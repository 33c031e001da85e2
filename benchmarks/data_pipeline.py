"""Input pipeline vs. training step: is data loading the bottleneck?

    PYTHONPATH=. KERAS_BACKEND=jax python benchmarks/data_pipeline.py

Writes the built-in image–text data to disk as PNG + CSV, then measures in
one process (a) the pipeline's samples/s — read manifest, decode PNGs in
parallel, augment (shift + zoom + random resized crop), tokenize, batch —
and (b) the quickstart ("full" size) model's training-step samples/s on
in-memory batches. Prints a table and writes
benchmarks/results/data_pipeline.json (pipeline_samples_per_s,
training_samples_per_s, ratio; the ratio should be >= 5), with
cached_pipeline_samples_per_s for epochs after the first with `cache=True`.

Then `fit` itself, interleaved: the same model fed by `make_dataset` from
the files against `fit` on the same samples as in-memory arrays
(fit_files_over_memory, decoded every epoch; fit_cached_files_over_memory,
`cache=True`; both should be >= 0.9).

It records the 1-minute load average before it starts and refuses to run
(exit 2) when that is above `--max-load` (1.5), unless `--no-write`: a busy
machine slows the training step and flatters the ratio.

It then measures the path a user's own data takes: photo-sized JPEG and
PNG files (320×240, half each) written into WebDataset shards, streamed
through `keras_mm.data.stream_pairs` + `model_dataset` (decode, resize of
the shortest side to 224 and centre crop, tokenize) against the training
step of a ViT-B/16-size image tower (224², patch 16, width 768, 12 layers)
in a CLIP with a small text tower: streamed_pipeline_samples_per_s,
vit_b16_training_samples_per_s, streamed_ratio (should be >= 5).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import machine  # noqa: E402
from common import print_table  # noqa: E402
from common import write_results  # noqa: E402


AUGMENTATION = dict(shift=0.05, zoom=0.1, crop_scale=(0.7, 1.0), seed=0)


def file_dataset(pairs, preprocessor, batch_size, cache=False, augment=True):
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.image_augmentation import ImageAugmentation
    from keras_mm.data.pipeline import make_dataset

    return make_dataset(
        pairs, preprocessor, batch_size=batch_size, shuffle=1024,
        cache=cache,
        augment=ImageAugmentation(**AUGMENTATION) if augment else None,
        report=ErrorReport(verbose=False))


def measure_pipeline(pairs, preprocessor, batch_size, passes, cache=False):
    """Best samples/s over `passes` epochs (after one untimed epoch, which
    fills the cache when `cache`)."""
    ds = file_dataset(pairs, preprocessor, batch_size, cache=cache)
    for _ in ds:
        pass
    best = 0.0
    for _ in range(passes):
        tick = time.perf_counter()
        count = sum(int(b["images"].shape[0]) for b in ds)
        best = max(best, count / (time.perf_counter() - tick))
    return best


def quickstart_model(preprocessor):
    import keras

    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )
    from keras_mm.quickstart import SIZES

    config = SIZES["full"]
    model = build_model(preprocessor.vocabulary_size, config["hidden_dim"],
                        config["num_layers"], config["num_heads"])
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    return model


def measure_training(preprocessor, batch_size, steps):
    from keras_mm.datasets.shapes import make_image_text_pairs

    model = quickstart_model(preprocessor)
    pairs = make_image_text_pairs(batch_size, 32, seed=1)
    text = preprocessor(pairs["captions"])
    batch = {"images": pairs["images"].astype("float32"),
             "token_ids": np.asarray(text["token_ids"], "int32"),
             "padding_mask": np.asarray(text["padding_mask"], "bool")}
    for _ in range(2):  # compile
        model.train_on_batch(batch)
    tick = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(batch)
    return steps * batch_size / (time.perf_counter() - tick)


def in_memory_arrays(pairs, preprocessor):
    """The files' samples decoded once, as the arrays `fit` would take."""
    from keras_mm.data.media import decode_image

    text = preprocessor([p.text for p in pairs])
    return {"images": np.stack([decode_image(p.media, 32)
                                for p in pairs]).astype("float32"),
            "token_ids": np.asarray(text["token_ids"], "int32"),
            "padding_mask": np.asarray(text["padding_mask"], "bool")}


def measure_fit(pairs, preprocessor, batch_size, rounds):
    """Samples/s of one-epoch `fit` calls, interleaved: from the files
    (decoded every epoch, and cached), and from in-memory arrays."""
    arrays = in_memory_arrays(pairs, preprocessor)
    cached = file_dataset(pairs, preprocessor, batch_size, cache=True,
                          augment=False)
    feeds = {
        "files": lambda m: m.fit(file_dataset(pairs, preprocessor,
                                              batch_size, augment=False),
                                 epochs=1, verbose=0),
        "cached_files": lambda m: m.fit(cached, epochs=1, verbose=0),
        "memory": lambda m: m.fit(arrays, batch_size=batch_size, epochs=1,
                                  shuffle=True, verbose=0),
    }
    models = {name: quickstart_model(preprocessor) for name in feeds}
    for name, feed in feeds.items():
        feed(models[name])  # compiles; fills the cache
    seconds = {name: [] for name in feeds}
    for _ in range(rounds):
        for name, feed in feeds.items():
            tick = time.perf_counter()
            feed(models[name])
            seconds[name].append(time.perf_counter() - tick)
    return {name: len(pairs) / float(np.median(s))
            for name, s in seconds.items()}


def write_photo_shards(folder, count, seed=0):
    """`count` 320×240 photo-like images (smooth gradients plus noise, so
    they compress like photos), alternately JPEG and PNG, in shards."""
    from PIL import Image

    from keras_mm.data.pair import Pair
    from keras_mm.data.webdataset import write_webdataset

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320].astype(np.float32)
    pairs = []
    for i in range(count):
        base = rng.uniform(0, 255, 3)
        tilt = rng.uniform(-0.4, 0.4, (2, 3))
        pixels = base + x[..., None] * tilt[0] + y[..., None] * tilt[1]
        pixels += rng.normal(0, 12, pixels.shape)
        path = os.path.join(folder, f"{i}.{'jpg' if i % 2 else 'png'}")
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        pairs.append(Pair(path, f"photo number {i % 50}"))
    return write_webdataset(pairs, os.path.join(folder, "shards"), 256)


def _vit_b16_clip():
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.models import TextTransformerEncoder
    from keras_mm.models import VisionTransformerEncoder
    from keras_mm.models import ImagePreprocessor
    from keras_mm.tasks import ContrastiveModel

    text = TextPreprocessor.from_corpus(
        [f"photo number {i}" for i in range(50)], vocabulary_size=64,
        sequence_length=16)
    return ContrastiveModel(
        {"image": VisionTransformerEncoder(224, 16, 768, 12, 12,
                                           name="image_encoder"),
         "text": TextTransformerEncoder(text.vocabulary_size, 16, 128, 1, 2,
                                        name="text_encoder")},
        projection_dim=256,
        preprocessors={"text": text,
                       "image": ImagePreprocessor(224, crop_size=224)})


def measure_streamed(model, shards, batch_size, passes):
    from keras_mm.data import model_dataset
    from keras_mm.data import stream_pairs

    ds = model_dataset(stream_pairs(os.path.dirname(shards[0])), model,
                       batch_size=batch_size, shuffle=256)
    best = 0.0
    for _ in range(passes):
        tick = time.perf_counter()
        count = sum(int(b["images"].shape[0]) for b in ds)
        best = max(best, count / (time.perf_counter() - tick))
    return best, ds


def measure_vit_training(model, dataset, steps):
    import keras

    model.compile(optimizer=keras.optimizers.AdamW(1e-4))
    batch = next(iter(dataset))
    batch = {k: np.asarray(v) for k, v in batch.items()}
    model.train_on_batch(batch)  # compile
    tick = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(batch)
    return steps * len(batch["images"]) / (time.perf_counter() - tick)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--fit-rounds", type=int, default=3)
    parser.add_argument("--photos", type=int, default=1024,
                        help="photo-sized images in the streamed shards")
    parser.add_argument("--vit-batch-size", type=int, default=16)
    parser.add_argument("--vit-steps", type=int, default=3)
    parser.add_argument("--max-load", type=float, default=1.5,
                        help="refuse to write when the 1-minute load "
                             "average before the run is above this")
    parser.add_argument("--tiny", action="store_true",
                        help="small counts, to check the script")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.tiny:
        args.samples, args.batch_size, args.steps, args.passes = 256, 32, 2, 1
        args.fit_rounds, args.photos, args.vit_steps = 1, 16, 1
        args.vit_batch_size = 8
    load_before = os.getloadavg()[0]
    if load_before > args.max_load and not args.no_write:
        print(f"data_pipeline.py: the 1-minute load average is "
              f"{load_before:.2f}, above --max-load {args.max_load}: figures "
              "taken now would not be written; rerun on a quiet machine (or "
              "with --no-write)", file=sys.stderr)
        sys.exit(2)
    import keras

    from keras_mm.data.manifest import read_manifest
    from keras_mm.data.text_preprocessor import RESERVED_TOKENS
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.datasets.shapes import caption_vocabulary
    from keras_mm.datasets.writer import write_to_disk
    from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH

    preprocessor = TextPreprocessor(
        list(RESERVED_TOKENS) + caption_vocabulary(), SEQUENCE_LENGTH)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_to_disk(tmp, sizes={"train": args.samples},
                              num_audio={}, num_videos=0)
        pairs = read_manifest(paths["csv"]["train"])
        pipeline = measure_pipeline(pairs, preprocessor, args.batch_size,
                                    args.passes)
        cached = measure_pipeline(pairs, preprocessor, args.batch_size,
                                  args.passes, cache=True)
        training = measure_training(preprocessor, args.batch_size,
                                    args.steps)
        fit = measure_fit(pairs, preprocessor, args.batch_size,
                          args.fit_rounds)
    model = _vit_b16_clip()
    with tempfile.TemporaryDirectory() as tmp:
        shards = write_photo_shards(tmp, args.photos)
        streamed, dataset = measure_streamed(model, shards,
                                             args.vit_batch_size,
                                             args.passes)
        vit = measure_vit_training(model, dataset, args.vit_steps)
    figures = {
        "streamed_pipeline_samples_per_s": streamed,
        "vit_b16_training_samples_per_s": vit,
        "streamed_ratio": streamed / vit,
        "photos": args.photos,
        "vit_batch_size": args.vit_batch_size,
        "pipeline_samples_per_s": pipeline,
        "cached_pipeline_samples_per_s": cached,
        "training_samples_per_s": training,
        "ratio": pipeline / training,
        "cached_ratio": cached / training,
        "fit_samples_per_s": fit,
        "fit_files_over_memory": fit["files"] / fit["memory"],
        "fit_cached_files_over_memory": fit["cached_files"] / fit["memory"],
        "samples": args.samples,
        "batch_size": args.batch_size,
        "augmentation": AUGMENTATION,
        "load_average_1min": load_before,
        "load_average_1min_after": os.getloadavg()[0],
        "machine": machine(backend=keras.config.backend(), device="cpu"),
    }
    print_table([("pipeline (decode+augment+tokenize)", f"{pipeline:.0f}"),
                 ("the same, cached decode (cache=True)", f"{cached:.0f}"),
                 ("quickstart training step", f"{training:.0f}"),
                 ("ratio / cached ratio",
                  f"{pipeline / training:.1f} / {cached / training:.1f}"),
                 ("fit from files / cached files / arrays",
                  " / ".join(f"{fit[k]:.0f}" for k in
                             ("files", "cached_files", "memory"))),
                 ("streamed JPEG/PNG shards → 224² (model_dataset)",
                  f"{streamed:.0f}"),
                 ("ViT-B/16 image tower training step", f"{vit:.1f}"),
                 ("ratio", f"{streamed / vit:.1f}")],
                ("stage", "samples/s"))
    if args.no_write:
        return figures
    name = "data_pipeline_tiny" if args.tiny else "data_pipeline"
    print("wrote", write_results(name, figures))
    return figures


if __name__ == "__main__":
    main()
