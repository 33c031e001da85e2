"""Magnitude pruning with a polynomial sparsity schedule (Zhu & Gupta).

`MagnitudePruning` is a callback: during fine-tuning it raises the sparsity
of every prunable kernel from `initial_sparsity` to `target_sparsity` along
`s_t = s_f + (s_i - s_f) * (1 - progress)^power`, zeroing the smallest
weights (by magnitude, per kernel) and keeping them at zero after every
step. `strip_pruning` makes the zeros exact; `sparsity_report` and
`zipped_size` measure the result.
"""

import os
import tempfile

import keras
import numpy as np
from keras import ops

from keras_mm.backend import keras_compat
from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig


def prunable_variables(model, min_size=256):
    """Kernels of Dense / EinsumDense layers with >= `min_size` weights.

    Embeddings, norms, biases and the convolutional patch stem stay dense:
    the stem sees raw pixels and pruning it cost most of the recall."""
    kinds = (keras.layers.Dense, keras.layers.EinsumDense)
    found = []
    for layer in keras_compat.flatten_layers(model, include_self=False):
        if isinstance(layer, kinds) and getattr(layer, "kernel", None) is not None:
            if int(np.prod(layer.kernel.shape)) >= min_size:
                found.append(layer.kernel)
    return found


def polynomial_sparsity(step, begin_step, end_step, initial_sparsity,
                        target_sparsity, power=3):
    """Sparsity at `step` of the polynomial schedule."""
    if step <= begin_step:
        return initial_sparsity
    progress = min(1.0, (step - begin_step) / max(1, end_step - begin_step))
    return target_sparsity + (initial_sparsity - target_sparsity) * (
        1.0 - progress
    ) ** power


class _MagnitudeMask:
    """Variable constraint: zeroes the smallest weights at the scheduled
    sparsity. Runs inside the compiled train step after each update (so it
    works on JAX too, where callbacks cannot write the training state)."""

    def __init__(self, pruning, previous=None):
        self.pruning = pruning
        self.previous = previous

    def __call__(self, w):
        p = self.pruning
        w = ops.convert_to_tensor(w)
        if self.previous is not None:
            w = self.previous(w)
        step = ops.cast(p.model.optimizer.iterations, "float32")
        progress = ops.clip(
            (step - p.begin_step) / float(p.end_step - p.begin_step), 0.0, 1.0
        )
        sparsity = p.target_sparsity + (
            p.initial_sparsity - p.target_sparsity
        ) * (1.0 - progress) ** p.power
        magnitude = ops.abs(w)
        flat = ops.sort(ops.reshape(magnitude, (-1,)))  # (N,)
        size = int(np.prod(w.shape))
        k = ops.minimum(ops.cast(ops.floor(sparsity * size), "int32"),
                        size - 1)
        threshold = ops.take(flat, k)
        return ops.where(magnitude >= threshold, w, ops.zeros_like(w))


@keras_mm_export
class MagnitudePruning(ConstructorConfig, keras.callbacks.Callback):
    """Prunes the smallest-magnitude weights during `fit`.

    After every optimizer step each prunable kernel keeps only its largest
    `1 - s_t` weights; the mask is a variable constraint, so it runs inside
    the compiled step on every backend.

    Args:
        target_sparsity: float in [0, 1). Final fraction of zeros per kernel.
        end_step: int. Optimizer step at which the target is reached.
        begin_step: int. Step at which pruning starts.
        initial_sparsity: float. Sparsity at `begin_step`.
        power: int. Exponent of the polynomial schedule.
        min_size: int. Kernels smaller than this are not pruned.

    Example:
    ```python
    pruning = keras_mm.compression.MagnitudePruning(0.8, end_step=200)
    model.fit(x, epochs=2, callbacks=[pruning])
    keras_mm.compression.strip_pruning(model, 0.8)
    ```
    """

    def __init__(self, target_sparsity, end_step, begin_step=0,
                 initial_sparsity=0.0, power=3, min_size=256):
        super().__init__()
        if not 0.0 <= target_sparsity < 1.0:
            raise ValueError("target_sparsity must be in [0, 1). Received: "
                             f"target_sparsity={target_sparsity}")
        if end_step <= begin_step:
            raise ValueError("end_step must be > begin_step. Received: "
                             f"end_step={end_step}, begin_step={begin_step}")
        self._remember_config(locals())

    def set_model(self, model):
        super().set_model(model)
        # Constraints must be in place before the train step is compiled.
        for variable in prunable_variables(model, self.min_size):
            if not isinstance(variable.constraint, _MagnitudeMask):
                variable.constraint = _MagnitudeMask(self, variable.constraint)

    def on_train_end(self, logs=None):
        for variable in prunable_variables(self.model, self.min_size):
            if isinstance(variable.constraint, _MagnitudeMask):
                variable.constraint = variable.constraint.previous


def strip_pruning(model, sparsity, min_size=256):
    """Makes pruning final: zeroes each prunable kernel's smallest weights
    down to exactly `sparsity` and returns `model`, a plain model (no
    wrappers or constraints) that saves and exports as usual."""
    for variable in prunable_variables(model, min_size):
        weights = keras.ops.convert_to_numpy(variable)
        count = int(np.floor(sparsity * weights.size))
        if count:
            flat = weights.reshape(-1).copy()
            flat[np.argsort(np.abs(flat))[:count]] = 0
            variable.assign(flat.reshape(weights.shape))
    return model


def sparsity_report(model, min_size=256):
    """`{"global": fraction of zeros, "layers": {path: fraction}}` over
    prunable kernels."""
    layers, zeros, total = {}, 0, 0
    for variable in prunable_variables(model, min_size):
        weights = keras.ops.convert_to_numpy(variable)
        layers[variable.path] = float(np.mean(weights == 0))
        zeros += int(np.sum(weights == 0))
        total += weights.size
    return {"global": zeros / max(1, total), "layers": layers}


def zipped_size(model):
    """Bytes of the model's weights, zipped (deflate) as `.npy` arrays.

    Plain arrays keep file-format overhead out of the figure, so the size
    follows the number of non-zero weights.
    """
    with tempfile.TemporaryDirectory() as tmp:
        archive = os.path.join(tmp, "weights.npz")
        np.savez_compressed(archive, *[
            keras.ops.convert_to_numpy(w) for w in model.weights
        ])
        return os.path.getsize(archive)
