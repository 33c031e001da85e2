"""The main job: train → evaluate → export a small CLIP on the built-in data.

`keras-mm quickstart` calls `run_quickstart`. It prints one summary table
and writes `summary.json`, the `.keras` model, the vocabulary and the LiteRT
towers (float32 and INT8) to `out_dir`.
"""

import json
import os
import time

import keras
import numpy as np

from keras_mm import backend
from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.datasets.splits import image_text_split
from keras_mm.export.litert import export_litert
from keras_mm.export.litert import parity_report
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.models.clip.quickstart_clip import IMAGE_SIZE
from keras_mm.models.clip.quickstart_clip import PATCH_SIZE  # noqa: F401
from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH
from keras_mm.models.clip.quickstart_clip import build_quickstart_clip

# Per size: number of pairs per split, epochs, and the model's width/depth.
SIZES = {
    "tiny": dict(train=512, validation=64, test=64, epochs=3, batch_size=64,
                 hidden_dim=32, num_layers=1, num_heads=2),
    "small": dict(train=4000, validation=500, test=500, epochs=2,
                  batch_size=128, hidden_dim=64, num_layers=2, num_heads=2),
    "full": dict(train=20000, validation=1000, test=1000, epochs=3,
                 batch_size=128, hidden_dim=128, num_layers=2, num_heads=4),
}
# A LiteRT file whose embeddings drift further than this from Keras fails.
MIN_COSINE = {"float32": 0.999, "int8": 0.99}


# The quickstart's model, under the name its callers know.
build_model = build_quickstart_clip


def warmup_cosine_adamw(total_steps, peak_learning_rate=1e-3,
                        warmup_fraction=0.1):
    """AdamW with linear warmup then cosine decay."""
    from keras_mm.optimizers.adamw import decoupled_adamw
    from keras_mm.optimizers.adamw import warmup_cosine

    return decoupled_adamw(
        warmup_cosine(total_steps, peak_learning_rate, warmup_fraction))


def model_inputs(pairs, preprocessor):
    """Model inputs of built-in pairs: images, token ids, padding mask.

    Example:
    ```python
    pairs = keras_mm.datasets.make_image_text_pairs(8)
    pre = keras_mm.data.TextPreprocessor.from_corpus(pairs["captions"])
    x = keras_mm.quickstart.model_inputs(pairs, pre)  # fits build_model(...)
    ```
    """
    text = preprocessor(pairs["captions"])
    return {
        "images": pairs["images"].astype("float32"),
        "token_ids": np.asarray(text["token_ids"], "int32"),
        "padding_mask": np.asarray(text["padding_mask"], "bool"),
    }


def _split(inputs, keys):
    return {k: inputs[k] for k in keys}


def run_quickstart(out_dir="quickstart_out", size="full", seed=0,
                   verbose=1):
    """Runs the whole job and returns the summary dict.

    Example:
    ```python
    summary = keras_mm.quickstart.run_quickstart("out", size="tiny")
    summary["retrieval"]["image_to_text"]["R@5"]
    ```
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}. "
                         f"Received: {size!r}")
    config = SIZES[size]
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    timings = {}

    def log(message):
        if verbose:
            print(f"[quickstart] {message}", flush=True)

    # === Data ===
    log(f"backend={backend.name()} size={size}: generating data")
    splits = {
        name: image_text_split(name, config[name], IMAGE_SIZE, seed)
        for name in ("train", "validation", "test")
    }
    preprocessor = TextPreprocessor.from_corpus(
        splits["train"]["captions"], vocabulary_size=256,
        sequence_length=SEQUENCE_LENGTH,
    )
    preprocessor.save_vocabulary(os.path.join(out_dir, "vocab.txt"))
    inputs = {n: model_inputs(p, preprocessor) for n, p in splits.items()}
    timings["data"] = time.perf_counter() - start

    # === Train ===
    model = build_model(preprocessor.vocabulary_size, config["hidden_dim"],
                        config["num_layers"], config["num_heads"])
    steps = config["epochs"] * (config["train"] // config["batch_size"])
    model.compile(optimizer=warmup_cosine_adamw(steps))
    log(f"training {model.count_params():,} parameters for "
        f"{config['epochs']} epochs on {config['train']} pairs")
    tick = time.perf_counter()
    history = model.fit(
        inputs["train"],
        validation_data=(inputs["validation"],),
        batch_size=config["batch_size"],
        epochs=config["epochs"],
        verbose=verbose,
    )
    timings["train"] = time.perf_counter() - tick

    # === Evaluate ===
    tick = time.perf_counter()
    test = inputs["test"]
    captions = splits["test"]["captions"]
    embeddings = model.predict(test, batch_size=256, verbose=0)
    retrieval = caption_recall_at_k(embeddings["image_embeddings"],
                                    embeddings["text_embeddings"], captions)
    timings["evaluate"] = time.perf_counter() - tick

    # === Save ===
    model_path = os.path.join(out_dir, "model.keras")
    model.save(model_path)
    # Training curves for `keras-mm eval` (it reads history.json).
    with open(os.path.join(out_dir, "history.json"), "w") as f:
        json.dump({k: [float(v) for v in vs]
                   for k, vs in history.history.items()}, f)

    # === Export to LiteRT and check in the interpreter ===
    tick = time.perf_counter()
    log("exporting the image and text towers to LiteRT (float32, int8)")
    paths = export_litert(model_path, os.path.join(out_dir, "litert"),
                          modes=("float32", "int8"))
    towers = {"image": ("images",), "text": ("token_ids", "padding_mask")}
    export = {}
    for mode in ("float32", "int8"):
        reports = {
            modality: parity_report(
                paths[modality][mode], _split(test, keys),
                embeddings[f"{modality}_embeddings"],
            )
            for modality, keys in towers.items()
        }
        lite_retrieval = caption_recall_at_k(
            reports["image"].pop("embeddings"),
            reports["text"].pop("embeddings"), captions,
        )
        cosine = min(r["cosine_min"] for r in reports.values())
        if cosine < MIN_COSINE[mode]:
            raise RuntimeError(
                f"LiteRT {mode} export drifted from Keras: min cosine "
                f"{cosine:.5f} < {MIN_COSINE[mode]}"
            )
        export[mode] = {
            "size_bytes": sum(r["size_bytes"] for r in reports.values()),
            "cosine": cosine,
            "retrieval": lite_retrieval,
            "towers": reports,
        }
    timings["export"] = time.perf_counter() - tick

    summary = {
        "backend": backend.name(),
        "size": size,
        "data": {name: config[name] for name in ("train", "validation",
                                                 "test")},
        "model": {
            "parameters": int(model.count_params()),
            "path": model_path,
            "size_bytes": os.path.getsize(model_path),
        },
        "training": {
            "epochs": config["epochs"],
            "final_loss": float(history.history["loss"][-1]),
            "samples_per_s": config["epochs"] * config["train"]
            / timings["train"],
        },
        "retrieval": retrieval,
        "export": {"litert": export},
        "timings": timings,
        "seconds": time.perf_counter() - start,
    }
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if verbose:
        print(format_summary(summary), flush=True)
    return summary


def format_summary(summary):
    """The one table printed at the end of the quickstart."""
    r = summary["retrieval"]
    lite = summary["export"]["litert"]
    rows = [
        ("backend", summary["backend"]),
        ("parameters", f"{summary['model']['parameters']:,}"),
        ("train samples/s", f"{summary['training']['samples_per_s']:.0f}"),
        ("final loss", f"{summary['training']['final_loss']:.4f}"),
    ]
    for direction in ("image_to_text", "text_to_image"):
        rows.append((
            f"{direction} R@1/5/10",
            " / ".join(f"{r[direction][f'R@{k}']:.3f}" for k in (1, 5, 10)),
        ))
    rows.append((".keras size", f"{summary['model']['size_bytes']:,} B"))
    for mode, entry in lite.items():
        rows.append((
            f"LiteRT {mode}",
            f"{entry['size_bytes']:,} B, cosine {entry['cosine']:.5f}, "
            f"i→t R@5 {entry['retrieval']['image_to_text']['R@5']:.3f}",
        ))
    rows.append(("seconds", f"{summary['seconds']:.1f}"))
    width = max(len(k) for k, _ in rows)
    line = "-" * (width + 50)
    body = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    return f"{line}\nkeras_mm quickstart summary\n{line}\n{body}\n{line}"
