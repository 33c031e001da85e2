import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "jax",
                                reason="jax-only kernel")


def test_gradients_equal_jax_autodiff_of_a_plain_matmul():
    import jax

    from keras_mm.layers.jax_matmul import matmul

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

    from keras_mm.layers.jax_matmul import matmul

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
