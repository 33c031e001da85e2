"""Pins what keras_mm expects of each private Keras internal it uses.

A Keras upgrade that changes one of them fails here, by name."""

import keras
import numpy as np
import pytest

from keras_mm import backend
from keras_mm.backend import keras_compat


class _Pair(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = keras.layers.Dense(3, name="first")
        self.second = keras.Sequential([keras.layers.Dense(2, name="inner")],
                                       name="second")

    def call(self, x):
        return self.second(self.first(x))


def _model():
    inputs = keras.Input((4,))
    outputs = _Pair(name="pair")(inputs)
    return keras.Model(inputs, outputs, name="model")


def test_flatten_layers_walks_depth_first_once_each():
    model = _model()
    names = [layer.name for layer in keras_compat.flatten_layers(model)]
    assert names[0] == "model"
    for name in ("pair", "first", "second", "inner"):
        assert names.count(name) == 1
    assert names.index("pair") < names.index("first")
    assert names.index("second") < names.index("inner")
    nested = keras_compat.flatten_layers(model, include_self=False)
    assert "model" not in [layer.name for layer in nested]
    children = keras_compat.flatten_layers(
        model.get_layer("pair"), include_self=False, recursive=False)
    assert sorted(layer.name for layer in children) == ["first", "second"]


def test_own_variables_leave_out_the_sublayers():
    model = _model()
    pair = model.get_layer("pair")
    assert keras_compat.own_variables(pair) == []
    assert len(keras_compat.own_variables(pair.first)) == 2


def test_remat_mode_is_recorded_at_construction_and_can_be_set():
    with keras.RematScope(mode="full"):
        layer = keras.layers.Dense(2)
    assert keras_compat.remat_mode(layer).mode == "full"
    plain = keras.layers.Dense(2)
    assert keras_compat.remat_mode(plain) is None
    keras_compat.set_remat_mode(plain, keras.RematScope(mode="activations"))
    assert keras_compat.remat_mode(plain).mode == "activations"


class _Count(keras.layers.Layer):
    def call(self, texts):
        return keras.ops.convert_to_tensor([len(texts)])


def test_accept_non_tensor_inputs_lets_a_layer_take_strings():
    layer = _Count()
    keras_compat.accept_non_tensor_inputs(layer)
    assert int(keras.ops.convert_to_numpy(layer(["a", "b", "c"]))[0]) == 3


def test_untracked_setattr_hides_what_is_set_inside_it():
    holder = keras.layers.Layer()
    with keras_compat.untracked_setattr(holder):
        holder.hidden = keras.layers.Dense(2)
        holder.table = {"a": 1}
    assert type(holder.table) is dict
    holder.shown = keras.layers.Dense(2)
    layers = keras_compat.flatten_layers(holder, include_self=False)
    assert holder.shown in layers and holder.hidden not in layers


def test_random_initializer_class_is_the_seeded_initializers_base():
    base = keras_compat.random_initializer_class()
    assert isinstance(keras.initializers.GlorotUniform(), base)
    assert isinstance(keras.initializers.RandomNormal(), base)
    assert not isinstance(keras.initializers.Zeros(), base)


def _compiled():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_loss_tracker_is_the_mean_behind_the_loss_log():
    model = _compiled()
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    logs = model.fit(x, y, batch_size=8, epochs=1, verbose=0).history
    tracker = keras_compat.loss_tracker(model)
    assert isinstance(tracker, keras.metrics.Mean)
    np.testing.assert_allclose(float(tracker.result()), logs["loss"][-1],
                               rtol=1e-5)


@pytest.mark.skipif(backend.name() != "jax", reason="JAX trainer only")
def test_update_metrics_variables_is_the_jax_stateless_metrics_update():
    model = _compiled()
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    state = [v.value for v in model.metrics_variables]
    tracker = keras_compat.loss_tracker(model)
    tracker.reset_state()
    state = [v.value for v in model.metrics_variables]
    logs, state = keras_compat.update_metrics_variables(
        model, state, 2.0, x, y, model(x), None)
    assert len(state) == len(model.metrics_variables)
    np.testing.assert_allclose(float(logs["loss"]), 2.0)


def test_distribute_strategy_is_none_without_a_strategy():
    assert keras_compat.distribute_strategy(_compiled()) is None


def test_unpack_x_y_sample_weight():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert keras_compat.unpack_x_y_sample_weight((x,))[1:] == (None, None)
    unpacked = keras_compat.unpack_x_y_sample_weight((x, y, w))
    assert all(a is b for a, b in zip(unpacked, (x, y, w)))


def test_array_adapter_batches_and_splits_like_fit():
    x = {"a": np.arange(10, dtype="float32")[:, None]}
    y = np.arange(10, dtype="float32")
    assert keras_compat.can_convert_arrays((x, y, None))
    assert not keras_compat.can_convert_arrays((object(), None, None))
    adapter = keras_compat.array_data_adapter(x, y, batch_size=4)
    assert adapter.num_batches == 3
    batches = list(adapter.get_tf_dataset())
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    (tx, ty, _), (vx, vy, _) = keras_compat.train_validation_split(
        (x, y, None), 0.2)
    np.testing.assert_array_equal(np.asarray(ty), y[:8])
    np.testing.assert_array_equal(np.asarray(vy), y[8:])
    assert np.asarray(vx["a"]).shape == (2, 1)


def _built_adamw(cls=keras.optimizers.AdamW):
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    optimizer = cls(learning_rate=0.1, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.build(layer.trainable_variables)
    return optimizer, layer.kernel, layer.bias


def test_optimizer_slots_and_decay_exclusions():
    optimizer, kernel, bias = _built_adamw()
    assert keras_compat.variable_key(optimizer, kernel) != (
        keras_compat.variable_key(optimizer, bias))
    assert {keras_compat.variable_index(optimizer, v)
            for v in (kernel, bias)} == {0, 1}
    assert keras_compat.uses_weight_decay(optimizer, kernel)
    assert not keras_compat.uses_weight_decay(optimizer, bias)
    momentum, velocity = keras_compat.adam_slots(optimizer, kernel)
    assert tuple(momentum.shape) == tuple(velocity.shape) == (2, 3)


class _RecordingAdamW(keras_compat.AdamWStages):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stages = []

    def clip_stage(self, grads):
        self.stages.append("clip")
        return super().clip_stage(grads)

    def weight_decay_stage(self, variables):
        self.stages.append("decay")
        super().weight_decay_stage(variables)

    def update_stage(self, grads, trainable_variables, learning_rate):
        self.stages.append("update")
        return super().update_stage(grads, trainable_variables,
                                    learning_rate)


def test_adamw_stages_run_in_keras_order_with_keras_arithmetic():
    recording, kernel, bias = _built_adamw(_RecordingAdamW)
    reference, ref_kernel, ref_bias = _built_adamw()
    ref_kernel.assign(kernel)
    ref_bias.assign(bias)
    grads = [keras.ops.full((2, 3), 0.5), keras.ops.full((3,), -1.0)]
    recording.apply_gradients(zip(grads, [kernel, bias]))
    reference.apply_gradients(zip(grads, [ref_kernel, ref_bias]))
    assert [s for s in recording.stages if s != "clip"][:2] == [
        "decay", "update"]
    assert "clip" in recording.stages
    for ours, theirs in ((kernel, ref_kernel), (bias, ref_bias)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours),
                                   keras.ops.convert_to_numpy(theirs),
                                   rtol=1e-6)


# Private Keras attributes keras_mm uses; only keras_compat may touch them.
PRIVATE_KERAS_NAMES = {
    "_flatten_layers", "_remat_mode", "_trainable_variables",
    "_non_trainable_variables", "_convert_input_args",
    "_allow_non_tensor_positional_args", "_self_setattr_tracking",
    "_loss_tracker", "_update_metrics_variables", "_distribute_strategy",
    "_clip_gradients", "_apply_weight_decay", "_backend_update_step",
    "_var_key", "_get_variable_index", "_use_weight_decay", "_momentums",
    "_velocities",
}


def _internals_outside_keras_compat(root):
    import ast
    import os

    found = []
    for folder, _, files in os.walk(os.path.join(root, "keras_mm")):
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if not name.endswith(".py") or rel.endswith(
                    "backend/keras_compat.py"):
                continue
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                module = getattr(node, "module", None) or ""
                names = [a.name for a in getattr(node, "names", [])
                         if isinstance(a, ast.alias)]
                if isinstance(node, ast.ImportFrom) and (
                        module == "keras.src" or module.startswith(
                            "keras.src.")):
                    found.append(f"{rel}:{node.lineno}: from {module}")
                elif isinstance(node, ast.Import) and any(
                        n.startswith("keras.src") for n in names):
                    found.append(f"{rel}:{node.lineno}: import keras.src")
                elif (isinstance(node, ast.Attribute)
                      and node.attr in PRIVATE_KERAS_NAMES):
                    found.append(f"{rel}:{node.lineno}: .{node.attr}")
                elif (isinstance(node, ast.Constant)
                      and node.value in PRIVATE_KERAS_NAMES):
                    found.append(f"{rel}:{node.lineno}: {node.value!r}")
    return sorted(found)


def test_only_keras_compat_touches_keras_internals():
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    found = _internals_outside_keras_compat(root)
    assert found == [], "\n".join(found)
