"""Which backend each converter needs, and whether it runs in-process."""

import pytest

from keras_mm import backend
from keras_mm.backend import converters


def test_each_converter_names_its_backend():
    assert converters.backend_of("litert") == "tensorflow"
    assert converters.backend_of("onnx") == "torch"
    with pytest.raises(ValueError, match="converter must be one of"):
        converters.backend_of("coreml")


@pytest.mark.parametrize("converter", ["litert", "onnx"])
def test_runs_natively_only_under_its_backend(converter):
    native = backend.name() == converters.backend_of(converter)
    assert converters.runs_natively(converter) is native
    if native:
        converters.check_native(converter, "module", "entry")
    else:
        with pytest.raises(RuntimeError, match="use entry, which switches"):
            converters.check_native(converter, "module", "entry")
