"""Export that is only reported once the runtime agrees with Keras.

Each tower is converted (LiteRT: through TensorFlow; ONNX: through torch;
in a subprocess where the current backend is another), run in its runtime
(the LiteRT interpreter or onnxruntime) on held-out pairs, and compared with
the Keras model: per-row embedding cosine, retrieval Recall@1/5 with the
exported towers, file size and batch-1 latency (`num_threads` threads;
XNNPACK for LiteRT). A failed check raises `ExportCheckError` and leaves
`out_dir` as it was.
"""

import itertools
import json
import os
import shutil
import statistics
import time

import numpy as np

from keras_mm.export.litert import LiteRTRunner
from keras_mm.export.litert import export_litert
from keras_mm.export.op_report import non_int8_ops
from keras_mm.metrics.cosine import row_cosine
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import recall_drop

# CLI names -> converter modes; "int8" picks the fastest candidate.
QUANTIZE_CHOICES = ("none", "float16", "dynamic", "int8", "full_int8",
                    "full_int8_per_tensor", "full_int8_all")
INT8_CANDIDATES = ("dynamic", "full_int8", "full_int8_per_tensor")
# Candidates whose latencies are within this fraction of the fastest are
# equally fast (batch-1 timings differ by more than that run to run); the
# smallest of them is chosen.
LATENCY_TIE = 0.05
FORMATS = ("litert", "onnx")
# ONNX: float32, or int8 weights (dynamic-range, onnxruntime's quantizer).
ONNX_QUANTIZE = {"none": ("float32",), "dynamic": ("dynamic",),
                 "int8": ("dynamic",)}
MIN_COSINE = {"float32": 0.999, "float16": 0.999}
DEFAULT_MIN_COSINE = 0.99


def pair_recall_at_k(first, second, labels):
    """Recall@K of row-paired embeddings: captions (str) are merged when
    identical (`caption_recall_at_k`); other labels group as given."""
    if all(isinstance(label, str) for label in labels):
        return caption_recall_at_k(first, second, list(labels))
    return recall_at_k(first, second, labels, labels)

def choose_fastest(entries, modes, tie=LATENCY_TIE):
    """The fastest of `modes` (`entries[mode]` has `latency_ms` and
    `size_bytes`); within `tie` of the fastest, the smallest wins.

    Example:
    ```python
    choose_fastest({"a": {"latency_ms": 1.0, "size_bytes": 9},
                    "b": {"latency_ms": 1.02, "size_bytes": 5}}, ["a", "b"])
    # 'b'
    ```
    """
    fastest = min(entries[m]["latency_ms"] for m in modes)
    tied = [m for m in modes
            if entries[m]["latency_ms"] <= fastest * (1 + tie)]
    return min(tied, key=lambda m: (entries[m]["size_bytes"],
                                    entries[m]["latency_ms"]))


def choose_towers(candidates, r1_drop, max_r1_drop, tie=LATENCY_TIE):
    """One mode per tower: the fastest combination that keeps retrieval.

    Args:
        candidates: `{modality: {mode: entry}}`, each entry with
            `latency_ms` and `size_bytes` (only candidates that passed).
        r1_drop: callable taking `{modality: mode}` and returning the drop
            of Recall@1 with those towers.
        max_r1_drop: float. Combinations that lose more are not chosen.

    Returns:
        `(chosen, combinations)`: every combination as a dict of `towers`
        (`{modality: mode}`), `r1_drop`, summed `latency_ms` and
        `size_bytes`; `chosen` is the one with the lowest latency among
        those within `max_r1_drop` (within `tie` of it, the smallest), or
        the one with the smallest drop where none is within.

    Example:
    ```python
    chosen, _ = choose_towers(
        {"image": {"a": {"latency_ms": 1, "size_bytes": 9}}},
        lambda picks: 0.0, max_r1_drop=0.01)
    chosen["towers"]  # {'image': 'a'}
    ```
    """
    modalities = list(candidates)
    combinations = []
    for modes in itertools.product(*(candidates[m] for m in modalities)):
        picks = dict(zip(modalities, modes))
        combinations.append({
            "towers": picks,
            "r1_drop": r1_drop(picks),
            **{key: sum(candidates[m][mode][key] for m, mode in picks.items())
               for key in ("latency_ms", "size_bytes")},
        })
    indexed = dict(enumerate(combinations))
    kept = [i for i, c in indexed.items() if c["r1_drop"] <= max_r1_drop]
    if not kept:
        best = min(indexed, key=lambda i: indexed[i]["r1_drop"])
    else:
        best = choose_fastest(indexed, kept, tie)
    return combinations[best], combinations


class ExportCheckError(RuntimeError):
    """An exported file disagrees with the Keras model beyond tolerance."""


def make_runner(path, num_threads=2):
    """`OnnxRunner` for `.onnx` files, `LiteRTRunner` otherwise."""
    if path.endswith(".onnx"):
        from keras_mm.export.onnx import OnnxRunner

        return OnnxRunner(path, num_threads=num_threads)
    return LiteRTRunner(path, num_threads=num_threads)


def measure_latency(path, sample, num_threads=2, runs=50, repeats=5):
    """Best-of-`repeats` mean batch-1 latency in ms (LiteRT: XNNPACK)."""
    runner = make_runner(path, num_threads=num_threads)
    for _ in range(5):
        runner.run_one(sample)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(runs):
            runner.run_one(sample)
        timings.append((time.perf_counter() - start) / runs * 1000)
    return min(timings), statistics.median(timings)


def _tower_keys(model):
    return {m: tuple(model.encoders[m].input_keys) for m in model.modalities}


def check_out_dir(out_dir, marker="report.json"):
    """Refuses an `out_dir` that holds anything but an earlier export (a
    folder holding `marker`): the export replaces the folder as a whole.
    ValueError in one line.

    Example:
    ```python
    check_out_dir("export/")  # new, empty or an earlier export: fine
    ```
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"{out_dir} is a file, not a folder")
    if (os.path.isdir(out_dir) and os.listdir(out_dir)
            and not os.path.isfile(os.path.join(out_dir, marker))):
        raise ValueError(
            f"{out_dir} holds other files and is not a keras-mm export "
            f"folder (no {marker}); give a new or empty folder")


def relocated(report, old, new):
    """`report` with tower paths moved from folder `old` to `new`."""
    for tower in report["towers"].values():
        tower["path"] = os.path.join(new, os.path.relpath(tower["path"],
                                                          old))
    return report


def export_checked(model, out_dir, quantize="int8", eval_inputs=None,
                   labels=None, representative_inputs=None,
                   max_r1_drop=0.02, num_threads=2, latency_runs=50,
                   keep_candidates=False, format="litert"):
    """Exports each tower to `<out_dir>/<modality>.tflite|.onnx`, checked.

    Everything is written into a temporary folder beside `out_dir` and
    renamed into place once every check passed: a failed or killed export
    leaves an earlier one in `out_dir` as it was.

    Args:
        model: a `ContrastiveModel` saved as `.keras` (path).
        out_dir: str. Output folder, new, empty or an earlier export
            (replaced as a whole); `report.json` is written there too.
        quantize: one of `QUANTIZE_CHOICES`. `"int8"` converts
            dynamic-range and full-integer INT8 and keeps, per tower, the
            candidate of the combination with the lowest batch-1 latency
            whose Recall@1 drop is within `max_r1_drop` (`choose_towers`).
        eval_inputs: dict of held-out model inputs (all towers' keys).
        labels: list, one per row; rows with equal labels match
            (e.g. captions).
        representative_inputs: `{modality: [batch-1 input dicts]}` drawn from
            the training data; needed by the full-integer modes.
        max_r1_drop: float. Largest allowed drop of Recall@1 (fraction,
            both directions) of the exported towers vs Keras.
        num_threads: int. Interpreter threads for the latency figure.
        format: `"litert"` (`.tflite`, LiteRT interpreter) or `"onnx"`
            (`.onnx`, onnxruntime). ONNX takes `quantize` `"none"`, or
            `"dynamic"`/`"int8"` (int8 weights).

    Returns:
        The report dict (also written to `report.json`).

    Example:
    ```python
    report = keras_mm.export.export_checked(
        "quickstart_out/model.keras", "export/", quantize="int8",
        eval_inputs=test_inputs, labels=test_captions,
        representative_inputs=representative)
    report["towers"]["image"]["mode"]  # 'dynamic' or 'full_int8'
    onnx = keras_mm.export.export_checked(
        "quickstart_out/model.keras", "export_onnx/", quantize="none",
        eval_inputs=test_inputs, labels=test_captions, format="onnx")
    ```
    """
    from keras_mm.models.atomic_folder import atomic_folder

    target = os.path.abspath(out_dir)
    check_out_dir(target)
    with atomic_folder(target) as tmp:
        report = export_checked_into(
            model, tmp, quantize, eval_inputs, labels, representative_inputs,
            max_r1_drop, num_threads, latency_runs, keep_candidates, format)
        report = relocated(report, tmp, target)
        with open(os.path.join(tmp, "report.json"), "w") as f:
            json.dump(report, f, indent=2)
    return report


def export_checked_into(model, out_dir, quantize="int8", eval_inputs=None,
                        labels=None, representative_inputs=None,
                        max_r1_drop=0.02, num_threads=2, latency_runs=50,
                        keep_candidates=False, format="litert"):
    """`export_checked`'s work (arguments alike), written straight into
    `out_dir`, a fresh folder its caller renames into place; returns the
    report without writing `report.json`."""
    import keras_mm

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}. "
                         f"Received: {format!r}")
    choices = QUANTIZE_CHOICES if format == "litert" else tuple(ONNX_QUANTIZE)
    if quantize not in choices:
        raise ValueError(f"quantize must be one of {choices} for "
                         f"format={format!r}. Received: {quantize!r}")
    if not isinstance(model, str):
        raise TypeError("export_checked takes the path of a .keras file.")
    if not os.path.exists(model):
        raise FileNotFoundError(f"No model at {model}")
    if eval_inputs is None or labels is None:
        raise ValueError("export_checked needs eval_inputs and labels.")
    if format == "onnx":
        modes = ONNX_QUANTIZE[quantize]
    else:
        modes = {"none": ("float32",), "int8": INT8_CANDIDATES}.get(
            quantize, (quantize,)
        )
    keras_model = keras_mm.load_model(model, compile=False)
    towers = _tower_keys(keras_model)
    reference = keras_model.predict(eval_inputs, batch_size=256, verbose=0)
    first, second = list(towers)[:2]  # Retrieval between the first two.
    keras_retrieval = pair_recall_at_k(reference[f"{first}_embeddings"],
                                       reference[f"{second}_embeddings"],
                                       labels)
    os.makedirs(out_dir, exist_ok=True)
    candidates_dir = os.path.join(out_dir, "candidates")
    if format == "onnx":
        from keras_mm.export.onnx import export_onnx

        paths = export_onnx(model, candidates_dir, modes=modes)
        runtime, extension = "onnxruntime", "onnx"
    else:
        paths = export_litert(model, candidates_dir, modes=modes,
                              representative_inputs=representative_inputs)
        runtime, extension = "LiteRT", "tflite"
    report = {"format": format, "runtime": runtime, "quantize": quantize,
              "towers": {}, "num_threads": num_threads}
    lite_embeddings, candidates = {}, {}
    for modality, keys in towers.items():
        inputs = {k: eval_inputs[k] for k in keys}
        sample = {k: np.asarray(v)[:1] for k, v in inputs.items()}
        expected = reference[f"{modality}_embeddings"]
        entries = {}
        for mode, path in paths[modality].items():
            outputs = make_runner(path, num_threads=num_threads)(inputs)
            cosine = row_cosine(outputs, expected)
            best, median = measure_latency(path, sample, num_threads,
                                           latency_runs)
            entries[mode] = {
                "size_bytes": os.path.getsize(path),
                "cosine_min": float(cosine.min()),
                "cosine_mean": float(cosine.mean()),
                "latency_ms": best,
                "latency_ms_median": median,
                "non_int8_ops": non_int8_ops(path)
                if "int8" in mode and extension == "tflite" else None,
            }
            lite_embeddings[(modality, mode)] = outputs
            threshold = MIN_COSINE.get(mode, DEFAULT_MIN_COSINE)
            if cosine.min() < threshold:
                entries[mode]["failed"] = (
                    f"{runtime} {modality} tower ({mode}) drifted from Keras: "
                    f"min cosine {cosine.min():.5f} < {threshold}"
                )
        if all("failed" in e for e in entries.values()):
            # With "int8", a candidate may fail if another one passes.
            raise ExportCheckError(
                "; ".join(e["failed"] for e in entries.values())
            )
        candidates[modality] = entries

    def retrieval_of(picks):
        return pair_recall_at_k(lite_embeddings[(first, picks[first])],
                                lite_embeddings[(second, picks[second])],
                                labels)

    def r1_drop_of(picks):
        return recall_drop(keras_retrieval, retrieval_of(picks))

    # The towers are chosen together, each combination's retrieval checked:
    # the fastest that keeps Recall@1 within `max_r1_drop` wins.
    passed = {m: {mode: e for mode, e in entries.items() if "failed" not in e}
              for m, entries in candidates.items()}
    chosen, combinations = choose_towers(passed, r1_drop_of, max_r1_drop)
    picks, r1_drop = chosen["towers"], chosen["r1_drop"]
    for modality, mode in picks.items():
        final = os.path.join(out_dir, f"{modality}.{extension}")
        shutil.copyfile(paths[modality][mode], final)
        report["towers"][modality] = {
            "mode": mode, "path": final, **candidates[modality][mode],
            "candidates": candidates[modality],
        }
    retrieval = retrieval_of(picks)
    report.update({
        "keras_retrieval": keras_retrieval,
        "retrieval": retrieval,
        "r1_drop": r1_drop,
        "combinations": combinations,
        "min_cosine": min(t["cosine_min"] for t in report["towers"].values()),
        "size_bytes": sum(t["size_bytes"] for t in report["towers"].values()),
    })
    if r1_drop > max_r1_drop:
        raise ExportCheckError(
            f"{runtime} towers lose {r1_drop:.3f} Recall@1 vs Keras "
            f"(> {max_r1_drop})"
        )
    if not keep_candidates:
        shutil.rmtree(candidates_dir, ignore_errors=True)
    return report

