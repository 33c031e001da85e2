"""Export of model towers to LiteRT, from any Keras backend, with checks.

Conversion needs TensorFlow: under another backend the `.keras` file is
converted in a subprocess with `KERAS_BACKEND=tensorflow` (the format is
backend-agnostic). Every file is then run in the LiteRT interpreter.
"""

import os
import tempfile
import time

import numpy as np

from keras_mm.backend import converters
from keras_mm.export.backend_worker import run_backend_worker
from keras_mm.export.tower_runner import TowerRunner
from keras_mm.metrics.cosine import row_cosine


def export_litert(model, out_dir, modes=("float32", "int8"),
                  modalities=None, representative_inputs=None):
    """Writes `<modality>_<mode>.tflite` for each tower and mode.

    Args:
        model: a `ContrastiveModel`, or the path of one saved as `.keras`.
        out_dir: str. Folder for the `.tflite` files.
        modes: quantize modes (see `tflite_converter.QUANTIZE_MODES`).
        modalities: which towers; all by default.
        representative_inputs: `{modality: list of batch-1 input dicts}`,
            needed by `"full_int8"`.

    Returns:
        `{modality: {mode: path}}`.

    Example:
    ```python
    paths = keras_mm.export.export_litert("model.keras", "export/")
    paths["image"]["int8"]  # 'export/image_int8.tflite'
    ```
    """
    os.makedirs(out_dir, exist_ok=True)
    if converters.runs_natively("litert"):
        if isinstance(model, str):
            from keras_mm import load_model

            model = load_model(model)
        return _export_in_process(
            model, out_dir, modes, modalities, representative_inputs
        )
    with tempfile.TemporaryDirectory() as tmp:
        if not isinstance(model, str):
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            model = path
        args = [model, out_dir, "--modes", ",".join(modes)]
        if modalities:
            args += ["--modalities", ",".join(modalities)]
        if representative_inputs:
            rep_path = os.path.join(tmp, "representative.npz")
            _save_representative(rep_path, representative_inputs)
            args += ["--representative", rep_path]
        return run_backend_worker(
            "keras_mm.export.litert_worker", args,
            converters.backend_of("litert"),
            "LiteRT export (TensorFlow subprocess)",
        )


def _export_in_process(model, out_dir, modes, modalities,
                       representative_inputs):
    from keras_mm.export.float32_model import float32_copy
    from keras_mm.export.tflite_converter import convert_tower

    model = float32_copy(model)
    paths = {}
    for modality in modalities or model.modalities:
        tower = model.tower(modality)
        paths[modality] = {}
        for mode in modes:
            data = convert_tower(
                tower,
                signature_name=f"embed_{modality}",
                quantize=mode,
                representative_inputs=(representative_inputs or {}).get(
                    modality
                ),
            )
            path = os.path.join(out_dir, f"{modality}_{mode}.tflite")
            with open(path, "wb") as f:
                f.write(data)
            paths[modality][mode] = path
    return paths


def _save_representative(path, representative_inputs):
    arrays = {}
    for modality, samples in representative_inputs.items():
        for i, sample in enumerate(samples):
            for key, value in sample.items():
                arrays[f"{modality}/{i}/{key}"] = np.asarray(value)
    np.savez(path, **arrays)


def load_representative(path):
    """Inverse of `_save_representative`."""
    grouped = {}
    with np.load(path) as data:
        for name in data.files:
            modality, index, key = name.split("/")
            grouped.setdefault(modality, {}).setdefault(int(index), {})[
                key
            ] = data[name]
    return {m: [s[i] for i in sorted(s)] for m, s in grouped.items()}


class LiteRTRunner(TowerRunner):
    """Runs a single-signature `.tflite` tower on batches, one row at a time.

    Example:
    ```python
    runner = keras_mm.export.LiteRTRunner("export/image_int8.tflite")
    embeddings = runner({"images": images})  # (N, D)
    ```
    """

    def __init__(self, path, num_threads=2):
        from ai_edge_litert.interpreter import Interpreter

        if not os.path.exists(path):
            raise FileNotFoundError(f"No LiteRT file at {path}")
        self.path = path
        self.interpreter = Interpreter(model_path=path,
                                       num_threads=num_threads)
        (self.signature_name,) = self.interpreter.get_signature_list()
        self.runner = self.interpreter.get_signature_runner(
            self.signature_name
        )
        self.input_details = self.runner.get_input_details()

    def run_one(self, sample):
        feed = {
            name: np.asarray(sample[name]).astype(detail["dtype"])
            for name, detail in self.input_details.items()
        }
        (output,) = self.runner(**feed).values()
        return output


def parity_report(path, inputs, reference, latency_samples=20):
    """Compares a LiteRT tower with reference (Keras) embeddings.

    Returns:
        `{"size_bytes", "cosine_min", "cosine_mean", "max_abs_diff",
        "latency_ms_b1", "embeddings"}`.
    """
    runner = LiteRTRunner(path)
    outputs = runner(inputs).astype(np.float32)
    reference = np.asarray(reference, np.float32)
    cosine = row_cosine(outputs, reference)
    sample = {k: np.asarray(v)[:1] for k, v in inputs.items()}
    runner.run_one(sample)
    start = time.perf_counter()
    for _ in range(latency_samples):
        runner.run_one(sample)
    latency = (time.perf_counter() - start) / latency_samples * 1000
    return {
        "size_bytes": os.path.getsize(path),
        "cosine_min": float(cosine.min()),
        "cosine_mean": float(cosine.mean()),
        "max_abs_diff": float(np.abs(outputs - reference).max()),
        "latency_ms_b1": float(latency),
        "embeddings": outputs,
    }
