"""mixed_bfloat16 training, float16 loss scaling, float32 islands, remat."""

import keras
import numpy as np

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import TrainConfig
from keras_mm.training import enable_remat
from keras_mm.training import train
from keras_mm.training.variables import named_variables


def test_mixed_bfloat16_trains_with_float32_islands():
    config = TrainConfig(epochs=2, batch_size=8, precision="mixed_bfloat16")
    # `train` calls the builder inside the precision policy.
    model, report = train(lambda: tiny_clip(seed=None), tiny_clip_batch(16),
                          config)
    assert keras.config.dtype_policy().name == "float32"  # restored
    assert all(np.isfinite(report["epoch_losses"]))
    named = named_variables(model)
    qkv = model.encoders["image"].get_layer("block_0").qkv
    assert qkv.compute_dtype == "bfloat16"
    assert named["image_encoder/block_0/qkv/kernel"].dtype == "float32"
    out = model(tiny_clip_batch(4), training=False)
    assert keras.backend.standardize_dtype(
        out["image_embeddings"].dtype) == "float32"
    logits = model.similarity(out["image_embeddings"],
                              out["text_embeddings"])
    assert keras.backend.standardize_dtype(logits.dtype) == "float32"
    norm = model.encoders["image"].get_layer("final_norm")
    assert norm.gamma.dtype == "float32" and not norm.autocast


def _apply(optimizer, grads, var):
    if keras.config.backend() != "jax":
        return optimizer.apply(grads, [var])
    # JAX: the dynamic-scale branch is a traced cond; apply it statelessly.
    new_vars, new_state = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], grads, [var.value])
    var.assign(new_vars[0])
    for v, value in zip(optimizer.variables, new_state):
        v.assign(value)


def test_float16_loss_scaling_skips_inf_and_unscales():
    var = keras.Variable(np.ones((2,), "float32"))
    optimizer = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1), initial_scale=1024.0)
    optimizer.build([var])
    scaled = optimizer.scale_loss(keras.ops.convert_to_tensor(2.0))
    assert float(keras.ops.convert_to_numpy(scaled)) == 2048.0
    # Overflowed gradients: no update, scale halves.
    _apply(optimizer, [np.array([np.inf, 1.0], "float32")], var)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(var), [1, 1])
    assert float(keras.ops.convert_to_numpy(
        optimizer.dynamic_scale)) == 512.0
    # Finite scaled gradients are unscaled before the SGD step.
    _apply(optimizer, [np.array([512.0, 512.0], "float32")], var)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(var), [0.9, 0.9],
                               rtol=1e-6)


def test_compile_wraps_loss_scale_optimizer_under_mixed_float16():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = tiny_clip(seed=None)
    finally:
        keras.config.set_dtype_policy("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_remat_gives_the_same_update():
    x = tiny_clip_batch(8)
    results = []
    for remat in (False, True):
        model = tiny_clip(seed=0)
        if remat:
            names = enable_remat(model)
            assert "image_encoder/block_0" in names
        model.compile(optimizer=keras.optimizers.SGD(0.5))
        model.fit(x, batch_size=8, verbose=0)
        results.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-5)  # XLA reorders sums
