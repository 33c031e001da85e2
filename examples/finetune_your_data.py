"""Fine-tune a pretrained CLIP on your own images, evaluate it zero-shot on
your classes, export it for mobile and serve it — all with the CLI.

The data are real photos: crops of the photographs that scikit-image ships
(a cat, coffee, a rocket, an astronaut, galaxies, brick, grass, gravel),
written as JPEG files with an open_clip-style `filepath,title` CSV for
training and a held-out image folder (one sub-folder per class) for
zero-shot evaluation. The commands are the ones in the README's "Fine-tune
on your data":

    keras-mm train --model START --train-data data/train.csv \\
        --csv-img-key filepath --csv-caption-key title --out run ...
    keras-mm eval --model run/model.keras --data data/heldout.csv \\
        --zero-shot-data data/heldout --templates "a photo of a {}." \\
        --templates "a picture of the {}." --templates "{}, close up." \\
        --out run/eval
    keras-mm export --model run/model.keras --data data/heldout.csv \\
        --out run/export
    keras-mm serve --model run/export --runtime litert --index data/heldout.csv

`--model` takes any pretrained start (a Hugging Face CLIP/SigLIP folder, an
open_clip checkpoint, a keras-hub preset...). Without one (and with
`--tiny`), a small random CLIP is written as a Hugging Face folder first:
nothing is downloaded, so the "before" zero-shot score is chance.

    python examples/finetune_your_data.py --model clip-vit-base-patch32/
    python examples/finetune_your_data.py --tiny
"""

import argparse
import json
import os
import tempfile

import numpy as np

# Photographs bundled in scikit-image's wheel, with the class each shows.
PHOTOS = {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket",
          "astronaut": "astronaut", "galaxy": "hubble_deep_field",
          "brick wall": "brick", "grass": "grass", "gravel": "gravel"}
CAPTIONS = ("a photo of a {}.", "a picture of the {}.", "{}, close up.")


def _photo(name):
    from skimage import data

    pixels = getattr(data, name)()
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    return pixels[..., :3].astype(np.uint8)


def write_photo_data(folder, per_class, heldout_per_class, seed=0):
    """Random crops of each photo: a training CSV (`filepath,title`), and a
    held-out image folder plus its CSV, from crops never trained on."""
    import csv

    from PIL import Image

    rng = np.random.default_rng(seed)
    train_rows, heldout_rows = [], []
    for label, name in PHOTOS.items():
        pixels = _photo(name)
        height, width = pixels.shape[:2]
        for i in range(per_class + heldout_per_class):
            side = int(rng.uniform(0.35, 0.7) * min(height, width))
            top = rng.integers(0, height - side + 1)
            left = rng.integers(0, width - side + 1)
            crop = Image.fromarray(pixels[top:top + side, left:left + side])
            heldout = i >= per_class
            sub = (os.path.join("heldout", label.replace(" ", "_"))
                   if heldout else "train")
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
            path = os.path.join(sub, f"{label.replace(' ', '_')}_{i}.jpg")
            crop.resize((64, 64)).save(os.path.join(folder, path),
                                       quality=90)
            caption = CAPTIONS[i % len(CAPTIONS)].format(label)
            (heldout_rows if heldout else train_rows).append((path, caption))
    for name, rows in (("train.csv", train_rows),
                       ("heldout.csv", heldout_rows)):
        with open(os.path.join(folder, name), "w", newline="") as f:
            csv.writer(f).writerows([("filepath", "title"), *rows])
    return (os.path.join(folder, "train.csv"),
            os.path.join(folder, "heldout.csv"),
            os.path.join(folder, "heldout"))


def keras_mm_cli(*argv):
    """Runs one `keras-mm` command in this process; stops on an error."""
    from keras_mm.cli.main import main as cli_main

    print("$ keras-mm " + " ".join(argv), flush=True)
    code = cli_main(list(argv))
    if code:
        raise SystemExit(f"keras-mm {argv[0]} exited with status {code}")


def zero_shot_top1(eval_dir):
    with open(os.path.join(eval_dir, "report.json")) as f:
        return json.load(f)["zero_shot"]["top1"]


def search_photos(export_dir, index_manifest, index_dir, query, k=3):
    """Serves the LiteRT export over HTTP and searches the held-out photos
    by text; returns the top `k` hits (image path, caption, score)."""
    import httpx

    from keras_mm.serving.app import build_app
    from keras_mm.serving.server import ServerThread
    from keras_mm.serving.server import load_service

    service = load_service(export_dir, runtime="litert",
                           index=index_manifest, index_dir=index_dir)
    try:
        with ServerThread(build_app(service)) as server:
            response = httpx.post(server.url + "/search",
                                  json={"text": query, "k": k}, timeout=60)
    finally:
        service.close()
    response.raise_for_status()
    return response.json()["results"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a pretrained start (checkpoint "
                        "folder or file); default: a small random CLIP")
    parser.add_argument("--out", help="working folder (default: a temp dir)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--per-class", type=int, default=24)
    parser.add_argument("--tiny", action="store_true",
                        help="small data and model, for CI")
    args = parser.parse_args(argv)
    work = args.out or tempfile.mkdtemp(prefix="keras_mm_your_data_")
    per_class = 12 if args.tiny else args.per_class
    train_csv, heldout_csv, heldout_dir = write_photo_data(
        os.path.join(work, "data"), per_class, heldout_per_class=6)
    start = args.model
    if start is None:
        from keras_mm.testing import write_random_clip

        start = write_random_clip(os.path.join(work, "start"),
                                  hidden_dim=32, num_layers=1)
    run = os.path.join(work, "run")

    # Zero-shot prompts: the phrasings of the captions (open_clip's
    # ensembling averages them per class).
    templates = [arg for t in CAPTIONS for arg in ("--templates", t)]
    keras_mm_cli("eval", "--model", start, "--data", heldout_csv,
                 "--zero-shot-data", heldout_dir, *templates,
                 "--out", os.path.join(work, "eval_before"))
    keras_mm_cli("train", "--model", start, "--train-data", train_csv,
                 "--val-data", heldout_csv, "--csv-img-key", "filepath",
                 "--csv-caption-key", "title", "--out", run,
                 "--epochs", str(args.epochs), "--batch-size", "16",
                 "--lr", "2e-3", "--wd", "0.05", "--warmup", "4")
    model = os.path.join(run, "model.keras")
    keras_mm_cli("eval", "--model", model, "--data", heldout_csv,
                 "--zero-shot-data", heldout_dir, *templates,
                 "--out", os.path.join(work, "eval_after"))
    before = zero_shot_top1(os.path.join(work, "eval_before"))
    after = zero_shot_top1(os.path.join(work, "eval_after"))
    print(f"zero-shot top-1 on {len(PHOTOS)} held-out classes: "
          f"{before:.2f} before, {after:.2f} after fine-tuning "
          f"(chance {1 / len(PHOTOS):.2f})")
    export = os.path.join(run, "export")
    keras_mm_cli("export", "--model", model, "--data", heldout_csv,
                 "--out", export)
    hits = search_photos(export, heldout_csv, run, "a photo of a cat.")
    for hit in hits:
        # A manifest's relative paths are relative to its own folder.
        image = os.path.join(os.path.dirname(heldout_csv), hit["image"])
        print(f"search 'a photo of a cat.': {hit['rank']}. "
              f"{os.path.relpath(image, work)} ({hit['score']:.3f})")
    return {"before": before, "after": after, "work": work, "hits": hits}


if __name__ == "__main__":
    main()
