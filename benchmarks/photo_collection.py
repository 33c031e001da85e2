"""A real collection to index: crops of real photographs, embedded by a
fine-tuned CLIP through `keras-mm index build`.

The photographs are the ones scikit-image ships (a cat, coffee, a rocket,
an astronaut, galaxies, brick, grass, gravel), cut into random crops as
`examples/finetune_your_data.py` does. The model is the main job's: a
pretrained start (`--model`, any checkpoint `keras-mm train` takes;
default a random CLIP written in Hugging Face format) fine-tuned on
other crops of the same photos. The index folder this writes is what
`benchmarks/index_scale.py --embeddings` measures.

    python benchmarks/photo_collection.py --out photos     # 48 k crops
    python benchmarks/index_scale.py --embeddings photos/index --queries 1000 \\
        --out benchmarks/results/index_scale_collection.json
    python benchmarks/photo_collection.py --tiny --out photos   # a minute
    python benchmarks/photo_collection.py --model MY_CLIP --no-finetune \
        --out photos    # embed with your model as it is
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "examples"))

import finetune_your_data as job  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="working folder")
    parser.add_argument("--model", default=None,
                        help="a pretrained start (default: a random CLIP "
                        "of width 64 with 256-wide embeddings)")
    parser.add_argument("--per-class", type=int, default=6000,
                        help="crops of each of the 8 photographs")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--no-finetune", action="store_true",
                        help="embed with the start as it is (skip the main "
                        "job's fine-tuning, export and serving)")
    parser.add_argument("--tiny", action="store_true",
                        help="40 crops a photo and one epoch: a smoke run")
    args = parser.parse_args(argv)
    per_class, epochs = ((40, 1) if args.tiny
                         else (args.per_class, args.epochs))
    start = args.model
    if start is None:
        from keras_mm.testing import write_random_clip

        start = write_random_clip(os.path.join(args.out, "start"),
                                  image_size=64, patch_size=16,
                                  hidden_dim=64, num_layers=2,
                                  projection_dim=256)
    model = start
    if not args.no_finetune:
        tuned = os.path.join(args.out, "job")
        job.main(["--model", start, "--out", tuned, "--epochs", str(epochs)])
        model = os.path.join(tuned, "run", "model.keras")
    # Crops drawn with another seed than the job's training crops.
    manifest, _, _ = job.write_photo_data(
        os.path.join(args.out, "collection"), per_class,
        heldout_per_class=0, seed=1)
    index = os.path.join(args.out, "index")
    job.keras_mm_cli("index", "build", "--model", model,
                     "--data", manifest, "--out", index,
                     "--batch-size", "256")
    print(f"wrote {index}")
    return index


if __name__ == "__main__":
    main()
