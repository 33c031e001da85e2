"""`CompiledPredictor`'s torch call: TorchScript traces of a Keras model's
inference call.

Keras layers on torch run eagerly, and at small batch sizes the Python work
of each layer call costs more than its arithmetic. A trace records the torch
ops once and replays them without Python. Each input signature (structure,
shapes, dtypes) gets its own trace, checked against the eager call before
use; one that cannot be traced or disagrees is replaced by the eager call.
The first call of a signature returns the outputs its check computed, so it
runs the model's Python twice (trace, eager check) and replays the trace
once. The trace reads the model's parameters (it is not frozen), so weight
updates show.

The trace runs without TorchScript's graph optimizations
(`torch.jit.optimized_execution(False)`): on CPU they split each `addmm`
(matmul with its bias) into a matmul and a separate add, an extra pass over
every projection's output.
"""

import warnings

import keras
import numpy as np
import torch

from keras_mm.backend.numpy_outputs import to_numpy_tree

# A trace whose outputs drift further than this from eager is not used.
TRACE_TOLERANCE = 1e-4


class _Positional(torch.nn.Module):
    """Calls `model` on a structure rebuilt from flat positional tensors."""

    def __init__(self, model, structure):
        super().__init__()
        self.model = model
        self.structure = structure
        # Keras registers a model's torch parameters by variable path, so
        # two towers with equal inner paths register only one of each
        # pair; listing every variable here lets the trace read them all
        # as parameters (not constants), so weight updates show.
        self.weights = torch.nn.ParameterList(
            [v.value for v in model.variables
             if isinstance(v.value, torch.nn.Parameter)])

    def forward(self, *flat):
        inputs = keras.tree.pack_sequence_as(self.structure, list(flat))
        return self.model(inputs, training=False)


def _signature(inputs):
    return tuple(
        (tuple(np.shape(x)), str(getattr(x, "dtype", type(x))))
        for x in keras.tree.flatten(inputs)
    )


def _agrees(traced_outputs, eager_outputs):
    traced = keras.tree.flatten(to_numpy_tree(traced_outputs))
    eager = keras.tree.flatten(to_numpy_tree(eager_outputs))
    return len(traced) == len(eager) and all(
        t.shape == e.shape and np.allclose(t, e, atol=TRACE_TOLERANCE)
        for t, e in zip(traced, eager)
    )


def compiled_call(model, jit_compile=True):
    """`call(inputs)`: `model`'s inference outputs through checked traces
    (`traced_call`), or eagerly under `torch.inference_mode` when
    `jit_compile=False`."""

    def eager(inputs):
        with torch.inference_mode():
            return model(inputs, training=False)

    return traced_call(model, eager) if jit_compile else eager


def traced_call(model, eager):
    """Returns `call(inputs)` that runs a checked trace of `model`."""
    traces = {}

    def call(inputs):
        key = _signature(inputs)
        if key not in traces:
            traces[key], outputs = _trace(model, inputs, eager)
            return outputs
        return traces[key](inputs)

    return call


def _trace(model, inputs, eager):
    """`(runner, outputs)`: the checked trace (or `eager` where tracing
    fails or disagrees) and its outputs on `inputs`, computed on the way."""
    flat = [keras.ops.convert_to_tensor(x) for x in keras.tree.flatten(inputs)]
    module = _Positional(model, inputs).eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(module, tuple(flat), strict=False,
                                     check_trace=False)
    except Exception as error:  # noqa: BLE001 - any failure means eager
        warnings.warn(f"CompiledPredictor: tracing '{model.name}' failed "
                      f"({type(error).__name__}: {error}); running eagerly.")
        return eager, eager(inputs)

    def run(inputs):
        tensors = [keras.ops.convert_to_tensor(x)
                   for x in keras.tree.flatten(inputs)]
        with torch.inference_mode(), torch.jit.optimized_execution(False):
            return traced(*tensors)

    traced_outputs, eager_outputs = run(inputs), eager(inputs)
    if not _agrees(traced_outputs, eager_outputs):
        warnings.warn(f"CompiledPredictor: the trace of '{model.name}' "
                      "disagrees with the eager call; running eagerly.")
        return eager, eager_outputs
    return run, traced_outputs
