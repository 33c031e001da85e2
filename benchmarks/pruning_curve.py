"""Accuracy vs sparsity: magnitude pruning of the quickstart CLIP.

Trains a dense model on the built-in shapes data, then for each target
sparsity fine-tunes a copy with `MagnitudePruning`, strips it, and records
image->text R@5 on the test split and the zipped weight size. Writes
`benchmarks/results/pruning_curve.json` and a PNG under `--plot-dir`.

    python benchmarks/pruning_curve.py          # default size
    python benchmarks/pruning_curve.py --tiny   # seconds, for CI
"""

import argparse
import json
import os
import platform
import time

import keras

from keras_mm.compression import MagnitudePruning
from keras_mm.compression import sparsity_report
from keras_mm.compression import strip_pruning
from keras_mm.compression import zipped_size
from keras_mm.data import TextPreprocessor
from keras_mm.datasets import make_image_text_pairs
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)
from keras_mm.quickstart import model_inputs
from keras_mm.quickstart import warmup_cosine_adamw

RESULTS = os.path.join(os.path.dirname(__file__), "results",
                       "pruning_curve.json")
SPARSITIES = (0.0, 0.5, 0.7, 0.8, 0.9)
SIZES = {"tiny": dict(train=64, test=16, epochs=1, hidden=16),
         "default": dict(train=1024, test=200, epochs=8, hidden=32)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--sparsities", default=None,
                        help="comma-separated, e.g. 0,0.5,0.8")
    parser.add_argument("--out", default=RESULTS)
    parser.add_argument("--plot-dir", default="/tmp/keras_mm_pruning_curve")
    args = parser.parse_args(argv)
    size = SIZES["tiny" if args.tiny else "default"]
    sparsities = (tuple(float(s) for s in args.sparsities.split(","))
                  if args.sparsities else (0.0, 0.8) if args.tiny
                  else SPARSITIES)
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    train_pairs = make_image_text_pairs(size["train"], seed=0)
    test_pairs = make_image_text_pairs(size["test"], seed=2)
    preprocessor = TextPreprocessor.from_corpus(
        train_pairs["captions"], vocabulary_size=128, sequence_length=32)
    train = model_inputs(train_pairs, preprocessor)
    test = model_inputs(test_pairs, preprocessor)
    batch = min(64, size["train"])
    steps = size["epochs"] * (size["train"] // batch)

    def build():
        return build_model(preprocessor.vocabulary_size, size["hidden"], 1,
                           2, projection_dim=32)

    def fit(model, learning_rate, callbacks=()):
        model.compile(optimizer=warmup_cosine_adamw(steps, learning_rate))
        model.fit(train, batch_size=batch, epochs=size["epochs"], verbose=0,
                  callbacks=list(callbacks))

    def r5(model):
        e = model.predict(test, batch_size=256, verbose=0)
        r = recall_at_k(e["image_embeddings"], e["text_embeddings"],
                        test_pairs["captions"], test_pairs["captions"])
        return float(r["image_to_text"]["R@5"])

    dense = build()
    fit(dense, 2e-3)
    points = []
    for sparsity in sparsities:
        model = build()
        model.set_weights(dense.get_weights())
        if sparsity > 0:
            # Reach the target after a quarter of fine-tuning, then recover.
            fit(model, 1e-3, [MagnitudePruning(sparsity,
                                               end_step=max(1, steps // 4))])
            strip_pruning(model, sparsity)
        points.append({
            "target_sparsity": sparsity,
            "sparsity": float(sparsity_report(model)["global"]),
            "r5": r5(model),
            "zip_bytes": int(zipped_size(model)),
        })
        print(f"sparsity {sparsity:.2f}: R@5 {points[-1]['r5']:.3f}, "
              f"zip {points[-1]['zip_bytes']:,} B", flush=True)
    dense_point = points[0] if sparsities[0] == 0 else None
    result = {
        "size": "tiny" if args.tiny else "default",
        "points": points,
        "dense_r5": dense_point["r5"] if dense_point else r5(dense),
        "seconds": time.perf_counter() - start,
        "machine": {"cores": os.cpu_count(), "backend":
                    keras.config.backend(), "device": platform.processor()
                    or platform.machine()},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    _plot(points, args.plot_dir)
    return result


def _plot(points, plot_dir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None  # The JSON is the result; the figure is optional.
    os.makedirs(plot_dir, exist_ok=True)
    fig, left = plt.subplots(figsize=(5, 3.5))
    x = [p["target_sparsity"] for p in points]
    left.plot(x, [p["r5"] for p in points], "o-", label="R@5")
    left.set_xlabel("sparsity")
    left.set_ylabel("image→text R@5")
    right = left.twinx()
    right.plot(x, [p["zip_bytes"] / 1e6 for p in points], "s--",
               color="gray")
    right.set_ylabel("zipped weights (MB)")
    path = os.path.join(plot_dir, "pruning_curve.png")
    fig.tight_layout()
    fig.savefig(path)
    return path


if __name__ == "__main__":
    main()
