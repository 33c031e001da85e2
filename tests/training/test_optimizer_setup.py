"""Warmup-cosine, weight-decay exclusions, layer decay, L1/L2 switches."""

import keras
import numpy as np

from keras_mm.testing import tiny_clip
from keras_mm.optimizers import adamw
from keras_mm.training import optimizer_setup as opt
from keras_mm.training.variables import named_variables


def test_weight_decay_skips_bias_norm_embedding_and_temperature():
    model = tiny_clip(num_layers=2)
    optimizer = opt.build_optimizer(model, 10, weight_decay=0.1)
    named = named_variables(model)
    uses = {n: optimizer._use_weight_decay(v) for n, v in named.items()}
    assert uses["image_encoder/block_0/qkv/kernel"]
    assert not uses["image_encoder/block_0/qkv/bias"]
    assert not uses["image_encoder/block_0/attention_norm/gamma"]
    assert not uses["text_encoder/token_embedding/embeddings"]
    assert not uses["logit_scale/logit_scale/log_scale"]


def decayed_variables(model, optimizer):
    """Names of the variables one zero-gradient AdamW step shrinks."""
    named = named_variables(model)
    before = {n: keras.ops.convert_to_numpy(v) for n, v in named.items()}
    variables = list(named.values())
    optimizer.build(variables)
    optimizer.apply([np.zeros(v.shape, v.dtype) for v in variables], variables)
    return {n for n, v in named.items()
            if not np.array_equal(keras.ops.convert_to_numpy(v), before[n])}


def test_every_auto_optimizer_decays_kernels_only():
    from keras_mm.quickstart import warmup_cosine_adamw

    model = tiny_clip(num_layers=1)
    kernels = {n for n in named_variables(model) if n.endswith("/kernel")}
    optimizers = {
        "decoupled_adamw": adamw.decoupled_adamw(1e-2, weight_decay=0.1),
        "contrastive auto": model.default_optimizer(),
        # Warmup starts at lr 0: take the schedule to its peak first.
        "quickstart": warmup_cosine_adamw(10, 1e-2, warmup_fraction=0.1),
    }
    for label, optimizer in optimizers.items():
        if label == "quickstart":
            optimizer.build(model.trainable_variables)
            optimizer.iterations.assign(1)
        assert decayed_variables(model, optimizer) == kernels, label
    # Position embeddings and class tokens are among the skipped.
    names = set(named_variables(model))
    assert "image_encoder/patch_embedding/position_embedding" in names
    assert "image_encoder/patch_embedding/class_token" in names


def test_layer_decay_scales_lower_blocks_and_update():
    model = tiny_clip(num_layers=2)
    pairs = opt.layer_decay_multipliers(model, 0.5)
    factor = {id(v): f for v, f in pairs}
    named = {n: id(v) for n, v in named_variables(model).items()}
    assert factor[named["image_encoder/block_1/qkv/kernel"]] == 0.5
    assert factor[named["image_encoder/block_0/qkv/kernel"]] == 0.25
    assert factor[
        named["image_encoder/patch_embedding/projection/kernel"]] == 0.125
    assert named["image_projection/image_projection/output/kernel"] not in (
        factor)

    # One SGD-like step: the update of a variable is scaled by its factor.
    var = keras.Variable(np.ones((3,), "float32"))
    other = keras.Variable(np.ones((3,), "float32"))
    scaled = adamw.ScaledAdamW(0.1, weight_decay=0.0)
    scaled.build([var, other])
    scaled.set_multipliers([(var, 0.5)])
    grad = np.ones((3,), "float32")
    scaled.apply([grad, grad], [var, other])
    step_var = 1 - keras.ops.convert_to_numpy(var)
    step_other = 1 - keras.ops.convert_to_numpy(other)
    np.testing.assert_allclose(step_var, 0.5 * step_other, rtol=1e-5)


def test_l1_l2_switches_add_losses():
    model = tiny_clip(num_layers=2)
    assert opt.apply_regularization(model) == 0
    assert len(model.losses) == 0
    count = opt.apply_regularization(model, l1=1e-3, l2=1e-2)
    assert count > 0 and len(model.losses) == count
    kernel = named_variables(model)["image_encoder/block_0/qkv/kernel"]
    w = keras.ops.convert_to_numpy(kernel)
    expected = 1e-3 * np.abs(w).sum() + 1e-2 * np.square(w).sum()
    values = [float(keras.ops.convert_to_numpy(x)) for x in model.losses]
    assert any(abs(v - expected) < 1e-4 * max(1, expected) for v in values)
