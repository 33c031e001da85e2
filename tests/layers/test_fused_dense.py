import keras
import numpy as np
import pytest
from keras import ops

from keras_mm.layers import FusedDense


def _pair(units=6, activation="gelu", use_bias=True):
    fused = FusedDense(units, activation=activation, use_bias=use_bias)
    plain = keras.layers.Dense(units, activation=activation, use_bias=use_bias)
    fused.build((None, 3, 4))
    plain.build((None, 3, 4))
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype("float32")
               for w in plain.get_weights()]
    fused.set_weights(weights)
    plain.set_weights(weights)
    return fused, plain


def _share_weights(layers, input_shape):
    """Builds `layers` and gives them all the first one's weights."""
    layers = list(layers)
    for layer in layers:
        layer.build(input_shape)
        layer.set_weights(layers[0].get_weights())


def test_matches_dense_with_and_without_bias():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    for use_bias in (True, False):
        fused, plain = _pair(use_bias=use_bias)
        np.testing.assert_allclose(ops.convert_to_numpy(fused(x)),
                                   ops.convert_to_numpy(plain(x)),
                                   atol=1e-5)


def test_gradients_match_dense():
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
    fused, plain = _pair(activation=None)
    from keras_mm.training.backend_gradients import compute_gradients

    _, fused_grads = compute_gradients(
        lambda: ops.sum(ops.square(fused(x))), fused.trainable_variables)
    _, plain_grads = compute_gradients(
        lambda: ops.sum(ops.square(plain(x))), plain.trainable_variables)
    for a, b in zip(fused_grads, plain_grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert np.abs(fused_grads[1]).sum() > 0  # the bias gets a gradient


def test_lora_goes_through_the_fused_call():
    x = np.ones((2, 4), "float32")
    layer = FusedDense(5)
    layer.build((None, 4))
    layer.enable_lora(2)
    layer.lora_kernel_b.assign(np.ones((2, 5), "float32"))
    expected = x @ ops.convert_to_numpy(layer.kernel) + ops.convert_to_numpy(
        layer.bias)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected,
                               atol=1e-5)
    frozen = x @ ops.convert_to_numpy(layer._kernel)
    assert np.abs(expected - frozen).max() > 1e-3  # LoRA changed the output


def test_saves_and_reloads(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, FusedDense(3, name="fused")(inputs))
    path = str(tmp_path / "fused.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert type(reloaded.get_layer("fused")) is FusedDense
    x = np.random.default_rng(3).normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(reloaded(x)),
                               ops.convert_to_numpy(model(x)), atol=1e-6)


def test_int8_quantization_applies_like_dense():
    x = np.random.default_rng(4).normal(size=(2, 3, 4)).astype("float32")
    fused, plain = _pair(activation=None)
    fused.quantize("int8")
    plain.quantize("int8")
    assert fused.quantization_mode == "int8"
    np.testing.assert_allclose(ops.convert_to_numpy(fused(x)),
                               ops.convert_to_numpy(plain(x)), atol=1e-6)


@pytest.mark.parametrize("activation", [None, "gelu"])
def test_mixed_precision_gradients_match_dense(activation):
    # bfloat16 compute, float32 weights: the fused call casts the kernel
    # like Dense does, and its gradient reaches the float32 variable, as
    # close to the float32 layer's as Dense's own mixed-precision one.
    x = np.random.default_rng(5).normal(size=(4, 3, 8)).astype("float32")
    fused = FusedDense(6, activation=activation, dtype="mixed_bfloat16")
    layers = {
        "fused": fused,
        "plain": keras.layers.Dense(6, activation=activation,
                                    dtype="mixed_bfloat16"),
        "float32": keras.layers.Dense(6, activation=activation),
    }
    _share_weights(layers.values(), (None, 3, 8))
    from keras_mm.training.backend_gradients import compute_gradients

    def grads(layer):
        loss = lambda: ops.sum(ops.square(ops.cast(layer(x), "float32")))  # noqa: E731
        return compute_gradients(loss, layer.trainable_variables)[1]

    grads = {name: grads(layer) for name, layer in layers.items()}
    assert keras.backend.standardize_dtype(fused(x).dtype) == "bfloat16"
    for ours, plain, exact in zip(*grads.values()):
        assert ours.dtype == np.float32
        scale = np.abs(exact).max()
        error = np.abs(ours - exact).max()
        assert error <= max(np.abs(plain - exact).max() * 1.5, 1e-3 * scale)
        assert error <= 0.05 * scale


@pytest.mark.parametrize("activation", [None, "gelu"])
def test_float32_output_keeps_the_half_precision_matmul(activation):
    x = np.random.default_rng(6).normal(size=(4, 3, 8)).astype("float32")
    widened = FusedDense(6, activation=activation, float32_output=True,
                         dtype="mixed_bfloat16")
    rounded = FusedDense(6, activation=activation, dtype="mixed_bfloat16")
    exact = FusedDense(6, activation=activation)
    _share_weights((widened, rounded, exact), (None, 3, 8))
    out = {name: layer(x) for name, layer in
           (("widened", widened), ("rounded", rounded), ("exact", exact))}
    dtypes = {name: keras.backend.standardize_dtype(y.dtype)
              for name, y in out.items()}
    assert dtypes == {"widened": "float32", "rounded": "bfloat16",
                      "exact": "float32"}
    got, want = (ops.convert_to_numpy(ops.cast(out[k], "float32"))
                 for k in ("widened", "exact"))
    # Still a bfloat16 matmul (not a float32 one), within its rounding.
    assert np.abs(got - want).max() > 1e-5
    np.testing.assert_allclose(got, want, atol=0.05 * np.abs(want).max())


def test_float32_output_is_in_the_config(tmp_path):
    layer = FusedDense(3, float32_output=True, dtype="mixed_bfloat16")
    assert FusedDense.from_config(layer.get_config()).float32_output
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layer(inputs))
    model.save(str(tmp_path / "m.keras"))
    reloaded = keras.saving.load_model(str(tmp_path / "m.keras"))
    assert reloaded.layers[-1].float32_output
    x = np.ones((2, 4), "float32")
    assert keras.backend.standardize_dtype(reloaded(x).dtype) == "float32"
