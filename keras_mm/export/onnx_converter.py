"""Torch-only: converts a Keras tower into an ONNX file.

Keras 3.15 exports ONNX from each backend differently: TensorFlow goes
through tf2onnx, which has no converter for the `Erfc` of exact GELU (the
file fails to load in onnxruntime); JAX needs `jax2onnx`; torch uses
`torch.onnx`, which converts these towers exactly. So this is the one module
of the ONNX path that needs the torch backend; `keras_mm.export.onnx` runs it
in a subprocess when Keras runs on another backend.
"""

import warnings


from keras_mm.backend import converters
from keras_mm.export.exportability import ExportError
from keras_mm.export.exportability import check_static_shapes

OPSET = 17
OUTPUT_NAME = "embeddings"


def _check_backend():
    converters.check_native("onnx", "onnx_converter",
                            "keras_mm.export.export_onnx")


def convert_tower_onnx(model, path, opset=OPSET):
    """Writes `model` (dict inputs, one output) as an ONNX file at `path`.

    The batch dimension is fixed to 1 (Keras' torch ops read the batch size
    as a Python int while tracing, so a dynamic batch does not export). The
    ONNX inputs are named after the model's input keys and the output is
    named `"embeddings"`. A layer with a dynamic (non-batch) dimension fails
    before conversion; a conversion error is raised as `ExportError`.
    """
    _check_backend()
    import torch

    check_static_shapes(model)
    names = sorted(model.input)
    sample = tuple(
        torch.zeros((1, *model.input[name].shape[1:]),
                    dtype=getattr(torch, model.input[name].dtype))
        for name in names
    )

    class _DictInputs(torch.nn.Module):
        """Positional ONNX inputs -> the tower's dict of inputs."""

        def __init__(self, tower):
            super().__init__()
            self.tower = tower

        def forward(self, *args):
            return self.tower(dict(zip(names, args)), training=False)

    wrapper = _DictInputs(model)
    wrapper.eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # Tracing warns that Python ints (shapes) become constants:
            # intended, as every shape is static here.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, sample, path, input_names=names,
                output_names=[OUTPUT_NAME], opset_version=opset,
                do_constant_folding=True, dynamo=False,
            )
    except Exception as error:
        raise ExportError(
            f"ONNX conversion of '{model.name}' failed: "
            f"{type(error).__name__}: {str(error).splitlines()[0]}"
        ) from error
    return path
