"""keras_mm's AdamW and its warmup-cosine schedule: what `compile("auto")`
of every task uses, and what `keras_mm.training.build_optimizer` tunes."""

import keras

from keras_mm import backend
from keras_mm.api_export import keras_mm_export
from keras_mm.backend import keras_compat

# Variables that never get weight decay (open_clip practice), by their
# own name. Keras searches its patterns in `variable.name`, which
# on TensorFlow is the whole path ("patch_embedding/projection/kernel:0"):
# `NO_DECAY_PATTERNS` match the last path component only.
NO_DECAY = ("bias", "gamma", "beta", "log_scale", "embeddings",
            "position_embedding", "class_token")
NO_DECAY_PATTERNS = [rf"(^|/){name}(:\d+)?$" for name in NO_DECAY]


def warmup_cosine(total_steps, peak_learning_rate, warmup_fraction=0.1,
                  final_fraction=0.01):
    """Linear warmup over a fraction of the steps, then cosine decay.

    Example:
    ```python
    schedule = keras_mm.optimizers.warmup_cosine(1000, 1e-3)
    float(schedule(0)), float(schedule(100))  # 0.0, 1e-3
    ```
    """
    warmup = max(1, int(round(total_steps * warmup_fraction)))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup),
        alpha=final_fraction,
        warmup_target=peak_learning_rate,
        warmup_steps=warmup,
    )


@keras_mm_export
class ScaledAdamW(keras_compat.AdamWStages):
    """AdamW with a per-variable learning-rate multiplier.

    Used for layer-wise learning-rate decay: `set_multipliers` maps
    variables to factors that scale the learning rate of their Adam step.
    Where the backend has a fused AdamW (`backend.native("fused_adamw")`,
    torch), the whole update runs in that kernel (one pass over the
    weights), with Keras' arithmetic: clipping (by global norm, or on the
    CPU by each tensor's norm) divides the gradients inside that kernel;
    per-tensor clipping off the CPU runs in foreach kernels.

    Example:
    ```python
    optimizer = keras_mm.optimizers.ScaledAdamW(1e-3, weight_decay=0.05)
    optimizer.set_multipliers([(model.weights[0], 0.5)])
    ```
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._multipliers = {}

    def set_multipliers(self, multipliers):
        """`multipliers`: dict or list of `(variable, factor)` pairs."""
        items = multipliers.items() if hasattr(multipliers, "items") else (
            multipliers)
        self._multipliers = {keras_compat.variable_key(self, v): float(m)
                             for v, m in items}

    def _multiplier(self, variable):
        return self._multipliers.get(
            keras_compat.variable_key(self, variable), 1.0)

    def _fused(self):
        """The backend's fused AdamW module, or None to run Keras' own."""
        return None if self.amsgrad else backend.native("fused_adamw")

    def clip_stage(self, grads):
        fused = self._fused()
        if fused is not None and all(g is not None for g in grads):
            # Clipping divides gradients: the fused AdamW kernel does it
            # on its one pass (`update_stage`).
            if fused.clips_in_kernel(self, grads):
                return grads
            clipped = fused.clip_gradients(self, grads)
            if clipped is not None:
                return clipped
        return super().clip_stage(grads)

    def weight_decay_stage(self, variables):
        if self._fused() is None:  # Fused runs decay inside its kernel.
            super().weight_decay_stage(variables)

    def update_stage(self, grads, trainable_variables, learning_rate):
        fused = self._fused()
        if fused is None:
            return super().update_stage(
                grads, trainable_variables, learning_rate)
        fused.fused_adamw_step(
            self, grads, trainable_variables, learning_rate,
            multiplier=self._multiplier,
            # What `clip_stage` left to the kernel.
            grad_divisors=fused.clip_divisors(self, grads),
        )

    def update_step(self, gradient, variable, learning_rate):
        factor = self._multiplier(variable)
        if factor != 1.0:
            learning_rate = keras.ops.multiply(learning_rate, factor)
        super().update_step(gradient, variable, learning_rate)


def decoupled_adamw(learning_rate, weight_decay=0.05, clipnorm=1.0,
                    **kwargs):
    """AdamW without decay on biases, norms, embeddings and temperature.

    The optimizer behind every "auto" of keras_mm (fused into one kernel
    per step on torch).

    Args:
        learning_rate: float or a schedule.
        weight_decay: float. Decoupled weight decay of the other weights.
        clipnorm: float or None. Per-variable gradient norm clip.
        **kwargs: more `ScaledAdamW` arguments.

    Example:
    ```python
    optimizer = keras_mm.optimizers.decoupled_adamw(
        keras_mm.optimizers.warmup_cosine(1000, 1e-3))
    ```
    """
    optimizer = ScaledAdamW(learning_rate, weight_decay=weight_decay,
                            clipnorm=clipnorm, **kwargs)
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY_PATTERNS)
    return optimizer
