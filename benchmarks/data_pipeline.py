"""Input pipeline vs. training step: is data loading the bottleneck?

    PYTHONPATH=. KERAS_BACKEND=jax python benchmarks/data_pipeline.py

Writes the built-in image–text data to disk as PNG + CSV, then measures in
one process (a) the pipeline's samples/s — read manifest, decode PNGs in
parallel, augment (shift + zoom + random resized crop), tokenize, batch —
and (b) the quickstart ("full" size) model's training-step samples/s on
in-memory batches. Prints a table and writes
benchmarks/results/data_pipeline.json (pipeline_samples_per_s,
training_samples_per_s, ratio). The ratio should be >= 5.

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


def measure_pipeline(manifest, preprocessor, batch_size, passes):
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.image_augmentation import ImageAugmentation
    from keras_mm.data.manifest import read_manifest
    from keras_mm.data.pipeline import make_dataset

    pairs = read_manifest(manifest)
    ds = make_dataset(
        pairs, preprocessor, batch_size=batch_size, shuffle=1024,
        augment=ImageAugmentation(shift=0.05, zoom=0.1,
                                  crop_scale=(0.7, 1.0), seed=0),
        report=ErrorReport(verbose=False))
    for _ in ds.take(2):  # builds the graph and the augmentation layers
        pass
    best = 0.0
    for _ in range(passes):
        tick = time.perf_counter()
        count = sum(int(b["images"].shape[0]) for b in ds)
        best = max(best, count / (time.perf_counter() - tick))
    return best


def measure_training(preprocessor, batch_size, steps):
    import keras

    from keras_mm.datasets.shapes import make_image_text_pairs
    from keras_mm.quickstart import SIZES
    from keras_mm.models.clip.quickstart_clip import (
        build_quickstart_clip as build_model,
    )

    config = SIZES["full"]
    model = build_model(preprocessor.vocabulary_size, config["hidden_dim"],
                        config["num_layers"], config["num_heads"])
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
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
    parser.add_argument("--photos", type=int, default=1024,
                        help="photo-sized images in the streamed shards")
    parser.add_argument("--vit-batch-size", type=int, default=16)
    parser.add_argument("--vit-steps", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    import keras

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
        pipeline = measure_pipeline(paths["csv"]["train"], preprocessor,
                                    args.batch_size, args.passes)
    training = measure_training(preprocessor, args.batch_size, args.steps)
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
        "training_samples_per_s": training,
        "ratio": pipeline / training,
        "samples": args.samples,
        "batch_size": args.batch_size,
        "load_average_1min": os.getloadavg()[0],
        "machine": machine(backend=keras.config.backend(), device="cpu"),
    }
    print_table([("pipeline (decode+augment+tokenize)", f"{pipeline:.0f}"),
                 ("quickstart training step", f"{training:.0f}"),
                 ("ratio", f"{pipeline / training:.1f}"),
                 ("streamed JPEG/PNG shards → 224² (model_dataset)",
                  f"{streamed:.0f}"),
                 ("ViT-B/16 image tower training step", f"{vit:.1f}"),
                 ("ratio", f"{streamed / vit:.1f}")],
                ("stage", "samples/s"))
    if not args.no_write:
        print("wrote", write_results("data_pipeline", figures))
    return figures


if __name__ == "__main__":
    main()
