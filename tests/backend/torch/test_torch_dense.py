import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="torch-only kernel")

ROWS = 600  # above FUSED_GELU_MIN_ROWS


def _operands(rows=ROWS, dtype="float32"):
    import torch

    rng = np.random.default_rng(0)
    x, kernel, bias = (torch.tensor(rng.normal(size=s).astype("float32"))
                       for s in ((rows, 8), (8, 16), (16,)))
    return x.to(dtype=getattr(torch, dtype)), kernel, bias


def _reference(x, kernel, bias):
    import torch

    return torch.nn.functional.gelu(torch.addmm(bias, x, kernel))


def test_inference_linear_gelu_equals_addmm_then_exact_gelu():
    import torch

    from keras_mm.backend.torch import dense as torch_dense

    x, kernel, bias = _operands()
    assert ROWS >= torch_dense.FUSED_GELU_MIN_ROWS
    with torch.no_grad():
        fused = torch_dense.inference_linear_gelu(x, kernel, bias)
    assert fused is not None
    torch.testing.assert_close(fused, _reference(x, kernel, bias),
                               rtol=1e-5, atol=1e-5)


def test_inference_linear_gelu_declines_where_it_does_not_apply():
    import torch

    from keras_mm.backend.torch import dense as torch_dense

    x, kernel, bias = _operands()
    # Autograd recording a trainable kernel: the caller must use addmm.
    trainable = kernel.clone().requires_grad_(True)
    assert torch_dense.inference_linear_gelu(x, trainable, bias) is None
    with torch.no_grad():
        assert torch_dense.inference_linear_gelu(x, trainable, bias) \
            is not None
        small = _operands(rows=torch_dense.FUSED_GELU_MIN_ROWS - 1)
        assert torch_dense.inference_linear_gelu(*small) is None
        half = _operands(dtype="bfloat16")
        assert torch_dense.inference_linear_gelu(*half) is None


def test_a_trace_records_the_fused_op_and_matches_eager():
    import torch

    from keras_mm.layers import FusedDense

    layer = FusedDense(16, activation="gelu")
    x = np.random.default_rng(1).normal(size=(2, ROWS // 2, 8)).astype(
        "float32")
    layer.build(x.shape)

    class Call(torch.nn.Module):
        def __init__(self):
            super().__init__()  # The trace reads the weights as parameters.
            self.weights = torch.nn.ParameterList(
                [w.value for w in layer.weights])

        def forward(self, inputs):
            return layer(inputs)

    inputs = torch.tensor(x)
    with torch.no_grad():
        traced = torch.jit.trace(Call(), (inputs,), check_trace=False)
        got = traced(inputs)
    assert "keras_mm::linear_gelu" in str(traced.inlined_graph)
    eager = keras.layers.Dense(16, activation="gelu")
    eager.build(x.shape)
    eager.set_weights(layer.get_weights())
    torch.testing.assert_close(got, eager(inputs).detach(), rtol=1e-5,
                               atol=1e-5)
