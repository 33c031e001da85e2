"""LiteRT export benchmark: size, latency, parity and retrieval per mode.

One run trains the quickstart model (or reuses `--model-dir`), exports both
towers in every quantize mode, runs each file in the LiteRT interpreter
(batch 1, XNNPACK, 2 threads) and writes `benchmarks/results/export.json`.

    python benchmarks/export.py --size full
"""

import argparse
import json
import os
import sys

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import keras_mm
from keras_mm.export import LiteRTRunner
from keras_mm.demos.export_data import builtin_export_data
from keras_mm.export import export_litert
from keras_mm.export import non_int8_ops
from keras_mm.export.checked_export import DEFAULT_MIN_COSINE
from keras_mm.export.checked_export import INT8_CANDIDATES
from keras_mm.export.checked_export import choose_towers
from keras_mm.export.checked_export import measure_latency
from keras_mm.metrics.cosine import row_cosine
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import recall_drop

MODES = ("float32", "float16", "dynamic", "full_int8", "full_int8_per_tensor",
         "full_int8_all")
NOTES = (
    "int8 = what `--quantize int8 --max-r1-drop 0.01` picks: per tower one "
    "of dynamic-range, full-integer and full-integer with per-tensor weight "
    "scales whose min cosine >= 0.99; of the combinations whose R@1 drop is "
    "within 0.01, the lowest summed latency, the smallest of those within "
    "5% of it (checked_export.choose_towers); int8_towers names the picks. "
    "full_int8 keeps FLOAT_OPS (keras_mm/export/tflite_converter.py) in "
    "float: LayerNorm's MEAN/SQUARED_DIFFERENCE/RSQRT, SOFTMAX, "
    "L2_NORMALIZATION and BATCH_MATMUL fall out of XNNPACK into slow "
    "reference kernels in int8; the residual ADDs, LayerNorm's MULs and the "
    "pooled-token selection (ONE_HOT/SUM) lose accuracy in int8 (text tower "
    "cosine -0.06). Int8 runs the matmuls. full_int8_all quantizes "
    "everything. non_int8_ops lists, per tower, every op that does not run "
    "in int8, QUANTIZE/DEQUANTIZE pairs (float islands) included."
)
CEILING_NOTE = (
    "gemm_ceiling: a graph of nothing but the image tower's MLP matmuls "
    "(tokens x width -> 4*width -> width, per layer), converted and timed "
    "the same way: the best latency ratio int8 can reach on this CPU at "
    "these shapes, with no float islands at all."
)
RESULTS = os.path.join(os.path.dirname(__file__), "results", "export.json")


def gemm_ceiling_worker(spec):
    """Prints float32/dynamic/full-int8 latencies of a pure-matmul graph."""
    import tempfile

    from keras_mm.export.tflite_converter import convert_tower

    tokens, width, layers = (int(v) for v in spec.split(","))
    inputs = {"x": keras.Input((tokens, width), name="x")}
    x = inputs["x"]
    for _ in range(layers):
        x = keras.layers.Dense(4 * width)(x)
        x = keras.layers.Dense(width)(x)
    model = keras.Model(inputs, x)
    rng = np.random.default_rng(0)
    samples = [{"x": rng.standard_normal((1, tokens, width), "float32")}
               for _ in range(20)]
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("float32", "dynamic", "full_int8_all"):
            path = os.path.join(tmp, f"{mode}.tflite")
            with open(path, "wb") as f:
                f.write(convert_tower(model, "serve", mode, samples))
            result[mode] = measure_latency(path, samples[0])[0]
    print(json.dumps(result))


def gemm_ceiling(tokens, width, layers):
    """Runs `gemm_ceiling_worker` under TensorFlow; returns ratios."""
    import subprocess

    command = [sys.executable, os.path.abspath(__file__),
               "--gemm-ceiling-worker", f"{tokens},{width},{layers}"]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    out = subprocess.run(command, env=env, capture_output=True, text=True,
                         check=True).stdout
    ms = json.loads(out.strip().splitlines()[-1])
    return {
        "shape": {"tokens": tokens, "width": width, "layers": layers},
        "latency_ms": ms,
        "dynamic_latency_ratio": ms["dynamic"] / ms["float32"],
        "full_int8_latency_ratio": ms["full_int8_all"] / ms["float32"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="full",
                        choices=("tiny", "small", "full"))
    parser.add_argument("--model-dir", default=None,
                        help="reuse a quickstart output folder")
    parser.add_argument("--work-dir", default="/tmp/keras_mm_export_bench")
    parser.add_argument("--eval-size", type=int, default=500)
    parser.add_argument("--representative-size", type=int, default=100)
    parser.add_argument("--out", default=RESULTS)
    parser.add_argument("--gemm-ceiling-worker", default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gemm_ceiling_worker:
        return gemm_ceiling_worker(args.gemm_ceiling_worker)

    model_dir = args.model_dir
    if model_dir is None:
        from keras_mm.quickstart import run_quickstart

        model_dir = os.path.join(args.work_dir, "model")
        run_quickstart(model_dir, size=args.size, verbose=0)
    model_path = os.path.join(model_dir, "model.keras")
    model = keras_mm.load_model(model_path, compile=False)
    eval_inputs, captions, representative = builtin_export_data(
        model, os.path.join(model_dir, "vocab.txt"), args.eval_size,
        args.representative_size,
    )
    reference = model.predict(eval_inputs, batch_size=256, verbose=0)
    keras_r = recall_at_k(reference["image_embeddings"],
                          reference["text_embeddings"], captions, captions)
    paths = export_litert(model_path, os.path.join(args.work_dir, "litert"),
                          modes=MODES, representative_inputs=representative)
    towers = {m: model.encoders[m].input_keys for m in model.modalities}
    modes, embeddings = {}, {}

    def retrieval(picks):
        """Recall@K with `picks[modality]`-mode towers, and the R@1 drop."""
        r = recall_at_k(embeddings[("image", picks["image"])],
                        embeddings[("text", picks["text"])], captions,
                        captions)
        return r, recall_drop(keras_r, r)

    def summarize(tower_entries, picks):
        """Whole-model figures of `picks[modality]`-mode towers."""
        t = tower_entries.values()
        r, drop = retrieval(picks)
        return {
            "towers": tower_entries,
            "size_bytes": sum(x["size_bytes"] for x in t),
            "latency_ms": sum(x["latency_ms"] for x in t),
            "min_cosine": min(x["cosine_min"] for x in t),
            "retrieval": r,
            "r1_drop": drop,
        }

    for mode in MODES:
        tower_entries = {}
        for modality, keys in towers.items():
            inputs = {k: eval_inputs[k] for k in keys}
            path = paths[modality][mode]
            out = LiteRTRunner(path)(inputs)
            embeddings[(modality, mode)] = out
            best, median = measure_latency(
                path, {k: v[:1] for k, v in inputs.items()}, num_threads=2)
            tower_entries[modality] = {
                "size_bytes": os.path.getsize(path),
                "latency_ms": best,
                "latency_ms_median": median,
                "cosine_min": float(row_cosine(
                    out, reference[f"{modality}_embeddings"]).min()),
                "non_int8_ops": non_int8_ops(path) if "int8" in mode
                else None,
            }
        modes[mode] = summarize(tower_entries, dict.fromkeys(towers, mode))
    # `--quantize int8 --max-r1-drop 0.01`, as export_checked chooses.
    passed = {
        modality: {m: modes[m]["towers"][modality] for m in INT8_CANDIDATES
                   if modes[m]["towers"][modality]["cosine_min"]
                   >= DEFAULT_MIN_COSINE}
        for modality in towers
    }
    chosen, _ = choose_towers(passed, lambda picks: retrieval(picks)[1],
                              max_r1_drop=0.01)
    int8_towers = chosen["towers"]
    int8 = summarize({m: modes[k]["towers"][m] for m, k in int8_towers.items()},
                     int8_towers)
    image = model.encoders["image"]
    _, tokens, width = image.output["sequence_output"].shape
    ceiling = gemm_ceiling(tokens, width, sum(
        1 for layer in image.layers if layer.name.startswith("block_")))
    f32 = modes["float32"]
    result = {
        "int8_towers": int8_towers,
        "int8_size_ratio": int8["size_bytes"] / f32["size_bytes"],
        "int8_latency_ratio": int8["latency_ms"] / f32["latency_ms"],
        "r1_drop": int8["r1_drop"],
        "min_cosine": int8["min_cosine"],
        "full_int8_latency_ratio":
            modes["full_int8"]["latency_ms"] / f32["latency_ms"],
        "full_int8_all_latency_ratio":
            modes["full_int8_all"]["latency_ms"] / f32["latency_ms"],
        "gemm_ceiling": ceiling,
        "keras_retrieval": keras_r,
        "parameters": int(model.count_params()),
        "int8": int8,
        "modes": modes,
        "notes": NOTES + " " + CEILING_NOTE,
        "machine": {**common.machine(keras.config.backend()),
                    "interpreter": "ai_edge_litert, XNNPACK, 2 threads"},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{'mode':<14}{'bytes':>10}{'ms(b1)':>9}{'cosine':>9}"
          f"{'R@1 i2t':>9}{'R@1 drop':>9}")
    for mode, e in modes.items():
        print(f"{mode:<14}{e['size_bytes']:>10,}{e['latency_ms']:>9.3f}"
              f"{e['min_cosine']:>9.4f}"
              f"{e['retrieval']['image_to_text']['R@1']:>9.3f}"
              f"{e['r1_drop']:>9.3f}")
    print("pure-matmul ceiling (int8 / float32 latency):",
          f"dynamic {ceiling['dynamic_latency_ratio']:.2f},",
          f"full int8 {ceiling['full_int8_latency_ratio']:.2f}")
    print(json.dumps({k: v for k, v in result.items()
                      if k.endswith("ratio") or k in ("r1_drop",
                                                      "min_cosine",
                                                      "int8_towers")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
