"""Which Keras backend each file-format converter needs.

A LiteRT file is written by TensorFlow's converter and an ONNX file by
`torch.onnx`; each converter runs inside a Keras model of its own
backend. Under another backend the export runs it in a worker subprocess
(`keras_mm.export.backend_worker`).

Example:
```python
from keras_mm.backend import converters

if converters.runs_natively("onnx"):
    ...  # convert in this process
else:
    ...  # run_backend_worker(..., converters.backend_of("onnx"), ...)
```
"""

from keras_mm import backend

CONVERTER_BACKENDS = {"litert": "tensorflow", "onnx": "torch"}


def backend_of(converter):
    """The Keras backend `converter` ("litert" or "onnx") runs under."""
    if converter not in CONVERTER_BACKENDS:
        raise ValueError(f"converter must be one of "
                         f"{sorted(CONVERTER_BACKENDS)}. Received: "
                         f"{converter!r}")
    return CONVERTER_BACKENDS[converter]


def runs_natively(converter):
    """Whether `converter` runs in this process (the active backend)."""
    return backend.name() == backend_of(converter)


def check_native(converter, module, entry_point):
    """Raises unless `converter` runs natively here.

    `module` names the converter module and `entry_point` the export
    function that switches backends for the caller.
    """
    if not runs_natively(converter):
        raise RuntimeError(
            f"{module} needs KERAS_BACKEND={backend_of(converter)}; use "
            f"{entry_point}, which switches for you. Current backend: "
            f"{backend.name()}"
        )
