"""Export of model towers to ONNX, from any Keras backend, run in onnxruntime.

Conversion goes through `torch.onnx` (see `onnx_converter`): under another
backend the `.keras` file is converted in a subprocess with
`KERAS_BACKEND=torch` (the format is backend-agnostic). Dynamic-range INT8
(int8 weights) is applied afterwards with onnxruntime's quantizer.
"""

import os
import tempfile

import numpy as np

from keras_mm.backend import converters
from keras_mm.export.backend_worker import run_backend_worker
from keras_mm.export.tower_runner import TowerRunner

ONNX_MODES = ("float32", "dynamic")


def export_onnx(model, out_dir, modes=("float32",), modalities=None):
    """Writes `<modality>_<mode>.onnx` for each tower and mode.

    Args:
        model: a `ContrastiveModel`, or the path of one saved as `.keras`.
        out_dir: str. Folder for the `.onnx` files.
        modes: subset of `ONNX_MODES`: `"float32"`, and `"dynamic"`
            (int8 weights, quantized with onnxruntime).
        modalities: which towers; all by default.

    Returns:
        `{modality: {mode: path}}`.

    Example:
    ```python
    paths = keras_mm.export.export_onnx("model.keras", "export/")
    paths["image"]["float32"]  # 'export/image_float32.onnx'
    ```
    """
    for mode in modes:
        if mode not in ONNX_MODES:
            raise ValueError(f"ONNX modes are {ONNX_MODES}. Received: "
                             f"{mode!r}")
    os.makedirs(out_dir, exist_ok=True)
    if converters.runs_natively("onnx"):
        if isinstance(model, str):
            from keras_mm import load_model

            model = load_model(model, compile=False)
        paths = _export_in_process(model, out_dir, modalities)
    else:
        paths = _export_in_subprocess(model, out_dir, modalities)
    if "dynamic" in modes:
        from onnxruntime.quantization import QuantType
        from onnxruntime.quantization import quantize_dynamic

        for modality, by_mode in paths.items():
            target = os.path.join(out_dir, f"{modality}_dynamic.onnx")
            # 7-bit weights (reduce_range): x86 int8 kernels without VNNI
            # sum u8*s8 pairs in int16 and saturate with full 8-bit
            # weights, which costs much accuracy.
            quantize_dynamic(by_mode["float32"], target,
                             weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=True)
            by_mode["dynamic"] = target
    if "float32" not in modes:
        for by_mode in paths.values():
            os.remove(by_mode.pop("float32"))
    return paths


def _export_in_process(model, out_dir, modalities):
    from keras_mm.export.float32_model import float32_copy
    from keras_mm.export.onnx_converter import convert_tower_onnx

    model = float32_copy(model)
    paths = {}
    for modality in modalities or model.modalities:
        path = os.path.join(out_dir, f"{modality}_float32.onnx")
        convert_tower_onnx(model.tower(modality), path)
        paths[modality] = {"float32": path}
    return paths


def _export_in_subprocess(model, out_dir, modalities):
    with tempfile.TemporaryDirectory() as tmp:
        if not isinstance(model, str):
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            model = path
        args = [model, out_dir]
        if modalities:
            args += ["--modalities", ",".join(modalities)]
        return run_backend_worker("keras_mm.export.onnx_worker", args,
                                  converters.backend_of("onnx"),
                                  "ONNX export (torch subprocess)")


class OnnxRunner(TowerRunner):
    """Runs a batch-1 `.onnx` tower in onnxruntime, one row at a time.

    Same interface as `LiteRTRunner` (see `TowerRunner`): `run_one(sample)`
    for one row, `__call__(inputs)` for a batch of rows.

    Example:
    ```python
    runner = keras_mm.export.OnnxRunner("export/image.onnx")
    embeddings = runner({"images": images})  # (N, D)
    ```
    """

    def __init__(self, path, num_threads=2):
        import onnxruntime

        if not os.path.exists(path):
            raise FileNotFoundError(f"No ONNX file at {path}")
        self.path = path
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"]
        )
        types = {"tensor(float)": np.float32, "tensor(int32)": np.int32,
                 "tensor(int64)": np.int64, "tensor(bool)": np.bool_}
        self.input_dtypes = {i.name: types[i.type]
                             for i in self.session.get_inputs()}

    def run_one(self, sample):
        feed = {name: np.asarray(sample[name]).astype(dtype)
                for name, dtype in self.input_dtypes.items()}
        return self.session.run(None, feed)[0]
