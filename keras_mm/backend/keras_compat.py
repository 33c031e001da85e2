"""Every private Keras internal keras_mm relies on, in one place.

Keras gives no public API for these; `tests/backend/test_keras_compat.py`
pins what each one is expected to do, so a Keras upgrade that changes one
fails there, with the name of the internal, instead of deep in a caller.
Nothing outside this module touches `keras.src` or a private attribute of
a Keras object.

Example:
```python
from keras_mm.backend import keras_compat

names = [layer.name for layer in keras_compat.flatten_layers(model)]
```
"""

import contextlib

import keras

# --- Layers ----------------------------------------------------------------


def flatten_layers(layer, include_self=True, recursive=True):
    """`layer` and every layer it tracks, depth first, each once.

    `recursive=False` stops at the direct children.
    """
    return layer._flatten_layers(include_self=include_self,
                                 recursive=recursive)


def own_variables(layer):
    """The variables `layer` created itself (not its sublayers')."""
    return (list(layer._trainable_variables)
            + list(layer._non_trainable_variables))


def remat_mode(layer):
    """The `keras.RematScope` recorded on `layer` when it was built."""
    return getattr(layer, "_remat_mode", None)


def set_remat_mode(layer, scope):
    """Makes `layer` rematerialise as if built inside `scope`."""
    layer._remat_mode = scope


def accept_non_tensor_inputs(layer):
    """Lets `layer.__call__` take Python strings and lists as inputs.

    Keras converts a layer's positional inputs to tensors and rejects
    non-tensor ones; a preprocessing layer fed raw text needs neither.
    """
    layer._convert_input_args = False
    layer._allow_non_tensor_positional_args = True


@contextlib.contextmanager
def untracked_setattr(layer):
    """A context in which attributes set on `layer` are not tracked.

    Neither by Keras nor, on TensorFlow, by TF's `AutoTrackable`, which
    would wrap a dict set on the layer (as TF's own
    `no_automatic_dependency_tracking` switches it off).
    """
    from keras.src.utils.tracking import DotNotTrackScope

    previous = getattr(layer, "_self_setattr_tracking", True)
    layer._self_setattr_tracking = False
    try:
        with DotNotTrackScope():
            yield
    finally:
        layer._self_setattr_tracking = previous


def random_initializer_class():
    """The base class of Keras' seeded (random) initializers."""
    from keras.src.initializers.random_initializers import RandomInitializer

    return RandomInitializer


# --- Models and trainers ---------------------------------------------------


def loss_tracker(model):
    """The `Mean` metric behind a compiled model's `"loss"` log."""
    return model._loss_tracker


def update_metrics_variables(model, metrics_variables, loss, x, y, y_pred,
                             sample_weight):
    """JAX trainer: `(logs, metrics_variables)` after one stateless step."""
    return model._update_metrics_variables(
        metrics_variables, loss, x, y, y_pred, sample_weight)


def distribute_strategy(model):
    """The `tf.distribute` strategy `model` was built under, or None."""
    return getattr(model, "_distribute_strategy", None)


# --- Data adapters ---------------------------------------------------------


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` of a batch as Keras' `fit` reads it."""
    from keras.src.trainers.data_adapters import data_adapter_utils

    return data_adapter_utils.unpack_x_y_sample_weight(data)


def can_convert_arrays(arrays):
    """Whether Keras feeds `arrays` (a nest) through its array adapter."""
    from keras.src.trainers.data_adapters import array_data_adapter

    return array_data_adapter.can_convert_arrays(arrays)


def array_data_adapter(x, y=None, sample_weight=None, batch_size=None,
                       steps=None, shuffle=False, class_weight=None):
    """Keras' adapter for in-memory arrays (`get_tf_dataset`,
    `num_batches`)."""
    from keras.src.trainers.data_adapters import array_data_adapter

    return array_data_adapter.ArrayDataAdapter(
        x, y, sample_weight=sample_weight, batch_size=batch_size,
        steps=steps, shuffle=shuffle, class_weight=class_weight)


def train_validation_split(arrays, validation_split):
    """`(train, validation)` of `arrays`, as `fit(validation_split=...)`."""
    from keras.src.trainers.data_adapters import array_slicing

    return array_slicing.train_validation_split(
        arrays, validation_split=validation_split)


# --- Optimizers ------------------------------------------------------------


def variable_key(optimizer, variable):
    """The key `optimizer` files per-variable state under."""
    return optimizer._var_key(variable)


def variable_index(optimizer, variable):
    """The index of `variable`'s slots in `optimizer`'s slot lists."""
    return optimizer._get_variable_index(variable)


def uses_weight_decay(optimizer, variable):
    """Whether `optimizer` decays `variable` (exclusions applied)."""
    return optimizer._use_weight_decay(variable)


def adam_slots(optimizer, variable):
    """`(first moment, second moment)` variables of `variable` in Adam."""
    index = variable_index(optimizer, variable)
    return optimizer._momentums[index], optimizer._velocities[index]


class AdamWStages(keras.optimizers.AdamW):
    """AdamW whose private update stages are overridable under public names.

    Keras' `apply` clips the gradients, applies weight decay and updates
    the variables in three private methods; a subclass overrides
    `clip_stage`, `weight_decay_stage` and `update_stage` instead, and
    calls `super()` for Keras' own behaviour.
    """

    def clip_stage(self, grads):
        return super()._clip_gradients(grads)

    def weight_decay_stage(self, variables):
        super()._apply_weight_decay(variables)

    def update_stage(self, grads, trainable_variables, learning_rate):
        return super()._backend_update_step(
            grads, trainable_variables, learning_rate)

    def _clip_gradients(self, grads):
        return self.clip_stage(grads)

    def _apply_weight_decay(self, variables):
        self.weight_decay_stage(variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        return self.update_stage(grads, trainable_variables, learning_rate)
