"""keras_mm's AdamW and its warmup-cosine schedule: what `compile("auto")`
of every task uses, and what `keras_mm.training.build_optimizer` tunes."""

import keras

from keras_mm.api_export import keras_mm_export

# Variables that never get weight decay (seed 001 / open_clip practice),
# by their own name. Keras searches its patterns in `variable.name`, which
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
class ScaledAdamW(keras.optimizers.AdamW):
    """AdamW with a per-variable learning-rate multiplier.

    Used for layer-wise learning-rate decay: `set_multipliers` maps
    variables to factors that scale the learning rate of their Adam step.
    On the torch backend the whole update runs in torch's fused AdamW
    kernel (one pass over the weights), with Keras' arithmetic: clipping
    (by global norm, or on the CPU by each tensor's norm) divides the
    gradients inside that kernel; per-tensor clipping off the CPU runs in
    foreach kernels.

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
        self._multipliers = {self._var_key(v): float(m) for v, m in items}

    def _runs_fused(self):
        return keras.config.backend() == "torch" and not self.amsgrad

    def _clip_gradients(self, grads):
        if self._runs_fused() and all(g is not None for g in grads):
            from keras_mm.training.torch_fused_adamw import clip_gradients
            from keras_mm.training.torch_fused_adamw import clips_in_kernel

            # Clipping divides gradients: the fused AdamW kernel does it
            # on its one pass (`_backend_update_step`).
            if clips_in_kernel(self, grads):
                return grads
            clipped = clip_gradients(self, grads)
            if clipped is not None:
                return clipped
        return super()._clip_gradients(grads)

    def _apply_weight_decay(self, variables):
        if not self._runs_fused():  # Fused runs decay inside its kernel.
            super()._apply_weight_decay(variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if not self._runs_fused():
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate)
        from keras_mm.training.torch_fused_adamw import clip_divisors
        from keras_mm.training.torch_fused_adamw import fused_adamw_step

        fused_adamw_step(
            self, grads, trainable_variables, learning_rate,
            multiplier=lambda v: self._multipliers.get(self._var_key(v), 1.0),
            # What `_clip_gradients` left to the kernel.
            grad_divisors=clip_divisors(self, grads),
        )

    def update_step(self, gradient, variable, learning_rate):
        factor = self._multipliers.get(self._var_key(variable), 1.0)
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
