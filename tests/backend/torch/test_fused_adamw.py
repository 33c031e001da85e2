"""ScaledAdamW's update (fused on torch) against Keras' own AdamW."""

import keras
import numpy as np
import pytest

from keras_mm.training import ScaledAdamW

SHAPES = [((4, 3), "kernel"), ((3,), "bias"), ((5,), "gamma")]


def _train(optimizer_class, multiplier=None, steps=6,
           clipping=(("global_clipnorm", 1.0),)):
    init = np.random.default_rng(0)
    variables = [keras.Variable(init.normal(size=s).astype("float32"),
                                name=n) for s, n in SHAPES]
    schedule = keras.optimizers.schedules.CosineDecay(
        1e-2, 10, warmup_target=2e-2, warmup_steps=3)
    optimizer = optimizer_class(schedule, weight_decay=0.1,
                                **dict(clipping))
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    if multiplier:
        optimizer.set_multipliers([(variables[0], multiplier)])
    grads = np.random.default_rng(1)
    for _ in range(steps):
        optimizer.apply(
            [keras.ops.convert_to_tensor(grads.normal(size=v.shape),
                                         "float32") for v in variables],
            variables)
    return [keras.ops.convert_to_numpy(v) for v in variables]


@pytest.mark.parametrize("clipping", [
    (("global_clipnorm", 1.0),), (("clipnorm", 0.5),), (("clipvalue", 0.1),),
    (("global_clipnorm", 100.0),), (("clipnorm", 2.0),), (),
])
def test_matches_keras_adamw_with_schedule_decay_and_clipping(clipping):
    ours = _train(ScaledAdamW, clipping=clipping)
    reference = _train(keras.optimizers.AdamW, clipping=clipping)
    start = np.random.default_rng(0).normal(size=(4, 3))
    assert not np.allclose(ours[0], start, atol=1e-3)  # It trained.
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a, b, atol=2e-6)


@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="the fused kernel is torch's")
def test_fused_multipliers_match_the_per_variable_step(monkeypatch):
    fused = _train(ScaledAdamW, multiplier=0.5)
    monkeypatch.setattr(ScaledAdamW, "_fused", lambda self: None)
    per_variable = _train(ScaledAdamW, multiplier=0.5)
    for a, b in zip(fused, per_variable):
        np.testing.assert_allclose(a, b, atol=2e-6)


@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="the fused kernel is torch's")
@pytest.mark.parametrize("clipping", [
    (("global_clipnorm", 1.0),),
    # Gradient norms here are ~3.5, ~1.7 and ~2.2: some tensors are
    # clipped and some are not.
    (("clipnorm", 2.0),),
])
def test_clipping_divides_inside_the_kernel(monkeypatch, clipping):
    import torch

    reference = _train(keras.optimizers.AdamW, clipping=clipping)

    def no_separate_pass(*args, **kwargs):
        raise AssertionError("clipping scaled the gradients in a "
                             "separate pass")

    monkeypatch.setattr(torch, "_foreach_mul", no_separate_pass)
    ours = _train(ScaledAdamW, clipping=clipping)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a, b, atol=2e-6)


@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="the fused kernel is torch's")
def test_only_the_clipped_tensors_get_a_divisor():
    import torch

    from keras_mm.backend.torch.fused_adamw import clip_divisors

    optimizer = ScaledAdamW(1e-3, clipnorm=1.0)
    grads = [torch.full((4,), 0.1), torch.full((4,), 2.0),
             torch.tensor([float("nan"), 0.0])]
    divisors = clip_divisors(optimizer, grads)
    assert divisors[0] is None
    np.testing.assert_allclose(float(divisors[1]), 4.0)  # norm 4, clip 1
    assert np.isnan(float(divisors[2]))  # NaN spreads, as in Keras


@pytest.mark.parametrize("clipping", ["global_clipnorm", "clipnorm"])
def test_a_nan_gradient_spreads_as_in_keras(clipping):
    def train(optimizer_class):
        variables = [keras.Variable(np.ones(s, "float32"), name=n)
                     for s, n in SHAPES]
        optimizer = optimizer_class(1e-2, **{clipping: 1.0})
        grads = [np.full(v.shape, 0.5, "float32") for v in variables]
        grads[0][0, 0] = np.nan
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads],
                        variables)
        return [np.isnan(keras.ops.convert_to_numpy(v)).all()
                for v in variables]

    # Global: every weight; per tensor: the one with the NaN gradient.
    expected = [True, clipping == "global_clipnorm"] + [
        clipping == "global_clipnorm"]
    assert train(keras.optimizers.AdamW) == expected
    assert train(ScaledAdamW) == expected
