import warnings

import keras
import numpy as np
import pytest

from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="TorchScript traces are torch-only")


def _inputs(batch=2):
    rng = np.random.default_rng(batch)
    return {
        "images": rng.uniform(0, 255, (batch, 32, 32, 3)).astype("float32"),
        "token_ids": rng.integers(1, 64, (batch, 32)).astype("int32"),
        "padding_mask": np.ones((batch, 32), bool),
    }


def _counting(model):
    calls = []

    def eager(inputs):
        calls.append(1)
        return model(inputs, training=False)

    return eager, calls


def test_trace_replaces_eager_after_one_checked_call():
    from keras_mm.backend.torch.predictor import traced_call

    model = build_model(64, 16, 1, 2, projection_dim=16)
    eager, calls = _counting(model)
    call = traced_call(model, eager)
    x = _inputs()
    first = keras.ops.convert_to_numpy(call(x)["text_embeddings"])
    for _ in range(3):
        again = keras.ops.convert_to_numpy(call(x)["text_embeddings"])
    assert len(calls) == 1  # only the check ran eagerly
    np.testing.assert_allclose(again, first, atol=1e-6)
    call(_inputs(batch=3))  # a new shape traces (and checks) once more
    assert len(calls) == 2


def test_trace_reads_weights_of_both_towers_with_equal_inner_paths():
    from keras_mm.inference import CompiledPredictor

    model = build_model(64, 16, 1, 2, projection_dim=16)
    predictor = CompiledPredictor(model)
    x = _inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no eager fallback
        predictor(x)
    # Both towers have a 'block_0/qkv/kernel'; change the text tower's.
    kernel = model.encoders["text"].get_layer("block_0").qkv.kernel
    kernel.assign(keras.ops.convert_to_numpy(kernel) * 3.0)
    expected = keras.ops.convert_to_numpy(
        model(x, training=False)["text_embeddings"])
    np.testing.assert_allclose(predictor(x)["text_embeddings"], expected,
                               atol=1e-5)


class _RandomOffset(keras.layers.Layer):
    """Adds a fresh host-side random number: a trace freezes it."""

    def call(self, x):
        return x + keras.ops.convert_to_tensor(np.random.rand(), x.dtype)


def test_a_trace_that_disagrees_falls_back_to_eager_with_a_warning():
    from keras_mm.inference import CompiledPredictor

    inputs = keras.Input((4,))
    model = keras.Model(inputs, _RandomOffset()(inputs), name="offsetter")
    with pytest.warns(UserWarning, match="offsetter.*running eagerly"):
        predictor = CompiledPredictor(model)
        predictor(np.zeros((2, 4), "float32"))
    a = predictor(np.zeros((2, 4), "float32"))
    b = predictor(np.zeros((2, 4), "float32"))
    assert not np.allclose(a, b)  # eager: a new random number each call


class _CountingIdentity(keras.layers.Layer):
    """Counts the Python runs of the model around it (a replayed trace
    skips Python, so it does not count)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.runs = 0

    def call(self, x):
        self.runs += 1
        return x


def test_first_call_runs_model_twice_and_returns_the_checked_outputs(
        monkeypatch):
    import torch

    from keras_mm.inference import CompiledPredictor

    counter = _CountingIdentity()
    inputs = keras.Input((4,))
    hidden = counter(keras.layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3)(hidden))
    counter.runs = 0  # building the functional model ran it symbolically
    replays = []
    trace = torch.jit.trace

    def counting_trace(*args, **kwargs):
        traced = trace(*args, **kwargs)

        def replay(*tensors):
            replays.append(1)
            return traced(*tensors)

        return replay

    monkeypatch.setattr(torch.jit, "trace", counting_trace)
    predictor = CompiledPredictor(model)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no eager fallback
        first = predictor(x)
    # Python runs: the trace and the eager check; one replay (the check's).
    assert counter.runs == 2
    assert len(replays) == 1
    second = predictor(x)
    assert counter.runs == 2 and len(replays) == 2  # replay only
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(first, expected, atol=1e-5)
    np.testing.assert_allclose(second, first, atol=1e-6)


def test_replays_keep_each_bias_inside_its_matmul():
    # TorchScript's graph optimizations would split every `addmm` into a
    # matmul and an add on CPU; the replays run without them.
    from torch.profiler import profile

    from keras_mm.backend.torch.predictor import traced_call
    from keras_mm.layers import FusedDense

    inputs = keras.Input((8,))
    model = keras.Model(inputs, FusedDense(4)(FusedDense(6)(inputs)))
    x = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    call = traced_call(model, lambda a: model(a, training=False))
    for _ in range(3):  # past the executor's profiling runs
        call(x)
    with profile() as prof:
        call(x)
    ops = {event.key for event in prof.key_averages()}
    assert "aten::addmm" in ops
    assert "aten::mm" not in ops
