import keras
import numpy as np
import pytest

import keras_mm

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="torch-only fast path")

MASK = np.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 2 + [0] * 4], bool)


def _block(**kwargs):
    block = keras_mm.layers.TransformerBlock(16, num_heads=2,
                                             intermediate_dim=32, **kwargs)
    block.build((3, 6, 16))
    return block


def _forward_backward(block, x, **kwargs):
    """Output, input gradient and weight gradients of `sum(block(x))`."""
    import torch

    x = torch.tensor(x, requires_grad=True)
    outputs = block(x, **kwargs)
    outputs.sum().backward()
    grads = []
    for variable in block.trainable_variables:
        grads.append(variable.value.grad.numpy().copy())
        variable.value.grad = None
    return [outputs.detach().numpy(), x.grad.numpy(), *grads]


def _both_paths(monkeypatch, block, x, before_each=lambda: None, **kwargs):
    """(fast path results, Keras path results), checking which ran."""
    from keras_mm.backend.torch import transformer_block as torch_block

    calls = []
    fast_call = torch_block.call
    monkeypatch.setattr(torch_block, "call",
                        lambda *a, **k: calls.append(1) or fast_call(*a, **k))
    before_each()
    fast = _forward_backward(block, x, **kwargs)
    assert calls, "the fast path did not run"
    monkeypatch.setattr(torch_block, "supports", lambda *a: False)
    before_each()
    keras_path = _forward_backward(block, x, **kwargs)
    assert len(calls) == 1
    return fast, keras_path


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("pooled", [False, True])
def test_fast_path_equals_the_keras_path(monkeypatch, causal, padded, pooled):
    import torch

    block = _block(causal=causal)
    kwargs = {}
    if padded:
        kwargs["padding_mask"] = torch.tensor(MASK)
    if pooled:
        kwargs["query_index"] = torch.tensor([5, 3, 1])
    x = np.random.default_rng(0).normal(size=(3, 6, 16)).astype("float32")
    fast, keras_path = _both_paths(monkeypatch, block, x, **kwargs)
    assert fast[0].shape == ((3, 16) if pooled else (3, 6, 16))
    assert len(fast) == 2 + len(block.trainable_variables)
    for a, b in zip(fast, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _reseed(seed_generator, start):
    import torch

    # A Dropout without a seed draws from torch's global generator.
    torch.manual_seed(0)
    seed_generator.state.assign(start)


def test_fast_path_draws_dropout_as_the_dropout_layer_does(monkeypatch):
    block = _block(dropout=0.5)
    seed = block.dropout_layer.seed_generator
    start = keras.ops.convert_to_numpy(seed.state.value).copy()
    x = np.random.default_rng(3).normal(size=(3, 6, 16)).astype("float32")
    fast, keras_path = _both_paths(
        monkeypatch, block, x, before_each=lambda: _reseed(seed, start),
        training=True)
    without_dropout = _forward_backward(block, x, training=False)
    assert not np.allclose(fast[0], without_dropout[0])  # dropout ran
    for a, b in zip(fast, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_fast_path_applies_lora(monkeypatch):
    block = _block()
    block.qkv.enable_lora(2)
    rng = np.random.default_rng(1)
    block.qkv.lora_kernel_b.assign(rng.normal(size=(2, 48)))
    x = rng.normal(size=(3, 6, 16)).astype("float32")
    fast, keras_path = _both_paths(monkeypatch, block, x)
    for a, b in zip(fast, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_inference_matches_with_the_fused_gelu(monkeypatch):
    import torch

    from keras_mm.backend.torch import dense as torch_dense

    block = _block()
    x = torch.tensor(np.random.default_rng(2).normal(
        size=(128, 6, 16)).astype("float32"))  # 768 rows: fused GELU
    assert 128 * 6 >= torch_dense.FUSED_GELU_MIN_ROWS
    fused = []
    original = torch_dense.inference_linear_gelu
    monkeypatch.setattr(torch_dense, "inference_linear_gelu",
                        lambda *a: fused.append(1) or original(*a))
    with torch.no_grad():
        fast = block(x).numpy()
        assert fused
        from keras_mm.backend.torch import transformer_block as torch_block

        monkeypatch.setattr(torch_block, "supports", lambda *a: False)
        keras_path = block(x).numpy()
    np.testing.assert_allclose(fast, keras_path, rtol=1e-5, atol=1e-5)


def test_supports_only_where_it_is_exact():
    import torch

    from keras_mm.backend.torch import transformer_block as torch_block

    x = torch.zeros((3, 6, 16))
    block = _block()
    assert torch_block.supports(block, x)
    assert not torch_block.supports(block, x.double())
    assert not torch_block.supports(block, x.to("meta"))
    assert not torch_block.supports(block, keras.KerasTensor((3, 6, 16)))
    assert not torch_block.supports(_block(dtype="mixed_bfloat16"), x)
    block.mlp_in._remat_mode = keras.RematScope(mode="activations")
    assert not torch_block.supports(block, x)
    rms = _block()
    rms.mlp_norm.rms_scaling = True
    assert not torch_block.supports(rms, x)
    regularized = _block()
    regularized.mlp_out.activity_regularizer = keras.regularizers.L2(0.1)
    assert not torch_block.supports(regularized, x)
    quantized = _block()
    quantized.qkv.quantize("int8")
    assert not torch_block.supports(quantized, x)
