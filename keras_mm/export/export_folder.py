"""The export folder: checked towers, preprocessing assets, `export.json`.

One layout, read by `keras-mm serve --model EXPORT_DIR --runtime litert`
(`keras_mm.serving.LiteRTRuntime.from_export_folder`) and by a mobile app:

```
EXPORT_DIR/
  export.json                # towers' files, inputs, outputs, preprocessing
  image.tflite  text.tflite  # one file per tower (`.onnx` for ONNX)
  preprocessing/
    text.json  image.json    # each preprocessor's Keras config
    text/<tokenizer>/...     # vocabulary.txt | vocabulary.json +
                             #   merges.txt | vocabulary.spm
  report.json                # the parity and retrieval checks
```

The folder is written beside its final place and renamed into it only
once every check passed, so a failed export never replaces a good one.
"""

import json
import os

import numpy as np

from keras_mm.export.preprocessing_assets import describe_preprocessor
from keras_mm.export.preprocessing_assets import save_preprocessors

EXPORT_JSON = "export.json"
LAYOUT_VERSION = 1


def _json_value(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _tensor(detail):
    """One input or output of a runtime, as JSON."""
    entry = {"name": detail["name"],
             "dtype": np.dtype(detail["dtype"]).name,
             "shape": [int(d) for d in detail["shape"]]}
    scales, zero_points = (detail.get("quantization_parameters") or {}).get(
        "scales"), (detail.get("quantization_parameters") or {}).get(
        "zero_points")
    if scales is not None and len(scales):
        entry["quantization"] = {"scales": _json_value(scales),
                                 "zero_points": _json_value(zero_points)}
    return entry


def litert_signature(path):
    """`{"signature", "inputs", "outputs"}` of a one-signature `.tflite`.

    Example:
    ```python
    litert_signature("export/text.tflite")["inputs"]
    # [{'name': 'padding_mask', 'dtype': 'bool', 'shape': [1, 77]}, ...]
    ```
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    (name,) = interpreter.get_signature_list()
    runner = interpreter.get_signature_runner(name)
    inputs = runner.get_input_details()
    outputs = runner.get_output_details()
    return {
        "signature": name,
        "inputs": [_tensor({**d, "name": k}) for k, d in
                   sorted(inputs.items())],
        "outputs": [_tensor({**d, "name": k}) for k, d in
                    sorted(outputs.items())],
    }


def onnx_signature(path):
    """`{"inputs", "outputs"}` of an `.onnx` tower (onnxruntime)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"])
    types = {"tensor(float)": "float32", "tensor(int32)": "int32",
             "tensor(int64)": "int64", "tensor(bool)": "bool"}

    def entries(values):
        return [{"name": v.name, "dtype": types.get(v.type, v.type),
                 "shape": [d if isinstance(d, int) else 1 for d in v.shape]}
                for v in values]

    return {"inputs": entries(session.get_inputs()),
            "outputs": entries(session.get_outputs())}


def describe_export(report, preprocessors, preprocessing_files, model,
                    data=None):
    """The content of `export.json` (paths relative to the folder).

    Args:
        report: `export_checked`'s report, tower paths inside the folder.
        preprocessors: `{modality: preprocessor}`.
        preprocessing_files: what `save_preprocessors` returned.
        model: the `ContrastiveModel` exported.
        data: optional dict describing the calibration and check data.
    """
    towers = {}
    for modality, tower in report["towers"].items():
        path = tower["path"]
        signature = (litert_signature(path) if path.endswith(".tflite")
                     else onnx_signature(path))
        for output in signature["outputs"]:
            output["meaning"] = "unit-norm embedding"
        towers[modality] = {
            "file": os.path.basename(path), "mode": tower["mode"],
            "size_bytes": tower["size_bytes"], **signature,
        }
    preprocessing = {
        modality: {**describe_preprocessor(modality, preprocessor,
                                           model.encoders.get(modality)),
                   **preprocessing_files[modality]}
        for modality, preprocessor in preprocessors.items()
    }
    return {
        "layout_version": LAYOUT_VERSION,
        "format": report["format"],
        "runtime": report["runtime"],
        "quantize": report["quantize"],
        "model": {"name": model.name, "class_name": type(model).__name__,
                  "modalities": list(model.modalities),
                  "projection_dim": int(model.projection_dim)},
        "towers": towers,
        "preprocessing": preprocessing,
        "checks": {"min_cosine": report["min_cosine"],
                   "r1_drop": report["r1_drop"],
                   "retrieval": report["retrieval"],
                   "keras_retrieval": report["keras_retrieval"]},
        "data": data or {},
    }


def read_export_json(folder):
    """The `export.json` of an export folder (FileNotFoundError if none)."""
    path = os.path.join(folder, EXPORT_JSON)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No {EXPORT_JSON} in {folder} (not a keras-mm export folder)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def is_export_folder(path):
    """Whether `path` is a folder holding an `export.json`."""
    return os.path.isfile(os.path.join(path, EXPORT_JSON))


def check_out_dir(out_dir):
    """Refuses an `out_dir` that holds anything but an earlier export:
    the export replaces the folder as a whole. ValueError in one line.

    Example:
    ```python
    check_out_dir("export/")  # new, empty or an earlier export: fine
    ```
    """
    from keras_mm.export.checked_export import check_out_dir as check

    check(out_dir, marker=EXPORT_JSON)


def export_folder(model_path, out_dir, preprocessors, eval_inputs, labels,
                  representative_inputs=None, quantize="int8",
                  format="litert", max_r1_drop=0.02, data=None, model=None,
                  **check_kwargs):
    """Exports a model's towers, checked, into a self-contained folder.

    Runs `keras_mm.export.export_checked`'s checks in a temporary folder
    beside `out_dir`, then writes `preprocessors` (`save_preprocessors`) and
    `export.json` (`describe_export`), and renames it into `out_dir` (any
    previous export there is replaced only then; a folder holding other
    files is refused, `check_out_dir`).

    Args:
        model_path: str. The `.keras` file.
        out_dir: str. The export folder.
        preprocessors: `{modality: preprocessor}` the model is served with
            (`keras_mm.export.export_data.model_preprocessors`).
        eval_inputs, labels, representative_inputs, quantize, format,
            max_r1_drop, **check_kwargs: as `export_checked`.
        data: optional dict recorded under `"data"` in `export.json`.
        model: optional; the model loaded from `model_path` (else it is
            loaded here).

    Returns:
        The report (as `report.json`), tower paths inside `out_dir`, with
        `"export_json"` holding what `export.json` holds.

    Example:
    ```python
    model = keras_mm.load_model("run/model.keras")
    preprocessors = model_preprocessors(model)
    inputs, captions, representative = export_inputs(model, pairs,
                                                     preprocessors)
    export_folder("run/model.keras", "export/", preprocessors, inputs,
                  captions, representative)
    ```
    """
    import keras_mm
    from keras_mm.export.checked_export import export_checked_into
    from keras_mm.export.checked_export import relocated
    from keras_mm.models.atomic_folder import atomic_folder

    final = os.path.abspath(out_dir)
    check_out_dir(final)
    with atomic_folder(final) as tmp:
        report = export_checked_into(
            model_path, tmp, quantize=quantize, eval_inputs=eval_inputs,
            labels=labels, representative_inputs=representative_inputs,
            max_r1_drop=max_r1_drop, format=format, **check_kwargs)
        files = save_preprocessors(preprocessors, tmp)
        if model is None:
            model = keras_mm.load_model(model_path, compile=False)
        description = describe_export(report, preprocessors, files, model,
                                      data)
        with open(os.path.join(tmp, EXPORT_JSON), "w",
                  encoding="utf-8") as f:
            json.dump(description, f, indent=2)
        report = relocated(report, tmp, final)
        report["export_json"] = description
        with open(os.path.join(tmp, "report.json"), "w") as f:
            json.dump({k: v for k, v in report.items()
                       if k != "export_json"}, f, indent=2)
    return report
