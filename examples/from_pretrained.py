"""Start from a pretrained CLIP, fine-tune it on your own pairs, save it.

Loads any local checkpoint keras_mm reads (a Hugging Face CLIP or SigLIP
folder, an open_clip folder or epoch_N.pt, a keras-hub preset...) with its
own tokenizer and image preprocessing, measures image->text retrieval on
your pairs, fine-tunes the usual way for a small data set (image tower frozen, LoRA on
the text tower, a small learning rate), measures again, then saves a
`.keras` file and, for CLIP/SigLIP, a Hugging Face folder that
transformers loads. `--pairs` is a CSV with `filepath,title` columns (as
open_clip's `--csv-img-key`/`--csv-caption-key` defaults). With `--tiny`
it writes a small random CLIP checkpoint and a few images first, so it
runs offline in seconds.

    python examples/from_pretrained.py --checkpoint clip-vit-base-patch32/ \\
        --pairs my_pairs.csv --out finetuned/
    python examples/from_pretrained.py --tiny
"""

import argparse
import csv
import os
import tempfile

import numpy as np


def write_tiny_pairs(folder):
    from PIL import Image

    colors = {"red": (220, 30, 30), "green": (30, 200, 30),
              "blue": (30, 30, 220), "yellow": (230, 220, 40)}
    rows = []
    for name, color in colors.items():
        for shade in range(2):
            path = os.path.join(folder, f"{name}_{shade}.png")
            pixels = np.full((40, 48, 3), color, np.uint8) - 20 * shade
            Image.fromarray(pixels.astype(np.uint8)).save(path)
            rows.append((path, f"a {name} picture"))
    path = os.path.join(folder, "pairs.csv")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([("filepath", "title"), *rows])
    return path


def read_pairs(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or {"filepath", "title"} - set(rows[0]):
        raise SystemExit(f"{path}: expected a CSV with filepath,title "
                         "columns")
    base = os.path.dirname(os.path.abspath(path))
    return ([os.path.join(base, r["filepath"]) for r in rows],
            [r["title"] for r in rows])


def image_to_text_top1(model, images, captions):
    image = model.embed("image", images)
    text = model.embed("text", captions)
    best = np.argmax(image @ text.T, axis=1)
    # A caption shared by several images counts as a hit for each.
    return float(np.mean([captions[b] == c for b, c in zip(best, captions)]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a local checkpoint")
    parser.add_argument("--pairs", help="CSV with filepath,title columns")
    parser.add_argument("--out", help="output folder")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--tiny", action="store_true",
                        help="write a tiny random checkpoint and pairs")
    args = parser.parse_args(argv)
    if not args.tiny and not (args.checkpoint and args.pairs):
        parser.error("give --checkpoint and --pairs, or --tiny")

    import keras

    import keras_mm
    from keras_mm.training import enable_lora
    from keras_mm.training.freezing import freeze_tower
    from keras_mm.testing import write_random_clip

    work = tempfile.mkdtemp()
    checkpoint, pairs = args.checkpoint, args.pairs
    if args.tiny:
        checkpoint = os.path.join(work, "tiny_clip")
        write_random_clip(checkpoint)
        pairs = write_tiny_pairs(work)
    out = args.out or os.path.join(work, "finetuned")

    model = keras_mm.models.load_pretrained(checkpoint)
    images, captions = read_pairs(pairs)
    print(f"loaded {checkpoint}: {model.loss_name} loss, "
          f"{model.count_params():,} parameters")
    before = image_to_text_top1(model, images, captions)

    freeze_tower(model, "image")
    enable_lora(model, rank=4, towers=["text"])
    inputs = {"images": model.preprocessors["image"](images),
              **model.preprocessors["text"](captions)}
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    history = model.fit(inputs, batch_size=len(captions),
                        epochs=args.epochs, verbose=0)
    after = image_to_text_top1(model, images, captions)
    print(f"image->text top-1 on your pairs: {before:.3f} -> {after:.3f} "
          f"(loss {history.history['loss'][0]:.3f} -> "
          f"{history.history['loss'][-1]:.3f})")

    os.makedirs(out, exist_ok=True)
    model.save(os.path.join(out, "model.keras"))
    keras_mm.models.save_pretrained(model, os.path.join(out, "hf"), to="hf")
    print(f"saved {out}/model.keras (with its preprocessing) and "
          f"{out}/hf (a Hugging Face folder)")
    return {"before": before, "after": after,
            "loss": history.history["loss"], "out": out}


if __name__ == "__main__":
    main()
