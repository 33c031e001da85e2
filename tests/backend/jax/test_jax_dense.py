import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "jax",
                                reason="jax-only kernel")


def test_gradients_equal_jax_autodiff_of_a_plain_matmul():
    import jax

    from keras_mm.backend.jax.dense import matmul

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    kernel = rng.normal(size=(4, 3)).astype("float32")
    upstream = rng.normal(size=(2, 5, 3)).astype("float32")

    def loss(fn):
        return lambda a, b: (fn(a, b) * upstream).sum()

    ours = jax.grad(loss(matmul), argnums=(0, 1))(x, kernel)
    theirs = jax.grad(loss(lambda a, b: a @ b), argnums=(0, 1))(x, kernel)
    np.testing.assert_allclose(matmul(x, kernel), x @ kernel, rtol=1e-5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_kernel_gradient_needs_no_transposed_activation_copy():
    # The point of the rule: XLA contracts the leading axes directly, so the
    # optimized backward holds no transposed [features, tokens] copy of `x`
    # or of the output gradient.
    import jax

    from keras_mm.backend.jax.dense import matmul

    x = np.ones((8, 16, 12), "float32")
    kernel = np.ones((12, 24), "float32")

    def hlo(fn):
        step = jax.jit(jax.grad(
            lambda a, b: (jax.nn.gelu(fn(jax.nn.relu(a) * 2.0, b)) ** 2).sum(),
            argnums=1))
        return step.lower(x, kernel).compile().as_text()

    def transposed_copies(text):
        return [shape for shape in ("f32[12,128]", "f32[24,128]")
                if shape in text]

    assert transposed_copies(hlo(matmul)) == []
    assert transposed_copies(hlo(lambda a, b: a @ b))  # jax's rule copies


def test_dense_gradients_equal_jax_autodiff_bias_included():
    import jax

    from keras_mm.backend.jax.dense import dense

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 5)).astype("float32")
    kernel = rng.normal(size=(5, 6)).astype("float32")
    bias = rng.normal(size=(6,)).astype("float32")
    upstream = rng.normal(size=(3, 4, 6)).astype("float32")

    def loss(fn):
        return lambda a, b, c: (fn(a, b, c) * upstream).sum()

    ours = jax.grad(loss(dense), argnums=(0, 1, 2))(x, kernel, bias)
    theirs = jax.grad(loss(lambda a, b, c: a @ b + c),
                      argnums=(0, 1, 2))(x, kernel, bias)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_bfloat16_matmuls_accumulate_in_float32():
    # Rounded once at the end: the float32 product of the same bfloat16
    # values, within one bfloat16 step (summation order may differ).
    import jax.numpy as jnp

    from keras_mm.backend.jax.dense import matmul

    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.normal(size=(8, 512)), jnp.bfloat16)
    kernel = jnp.asarray(rng.normal(size=(512, 4)), jnp.bfloat16)
    out = matmul(x, kernel)
    assert out.dtype == jnp.bfloat16
    exact = np.asarray(x, np.float32) @ np.asarray(kernel, np.float32)
    np.testing.assert_allclose(np.asarray(out, np.float32), exact,
                               rtol=2**-8, atol=1e-6)
