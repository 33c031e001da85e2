"""One `compile` path for every keras_mm task: "auto" optimizer and XLA."""

import keras

from keras_mm.distribution.collectives import synchronize_model
from keras_mm.tasks.jit_defaults import resolve_jit_compile


class CompileDefaults:
    """Mixin for task models: `compile()` with keras_mm's defaults.

    - `optimizer="auto"` becomes `self.default_optimizer()`;
    - `jit_compile="auto"` (Keras' default) goes through
      `keras_mm.tasks.jit_defaults.resolve_jit_compile` (XLA on
      TensorFlow too);
    - in a torch process group, the optimizer averages gradients across
      processes (`keras_mm.distribution.synchronize_model`);
    - `compile_from_config` restores the saved compile arguments, which
      Keras skips for models that override `compile`.

    Example:
    ```python
    class MyTask(CompileDefaults, keras.Model):
        def default_optimizer(self):
            return keras.optimizers.AdamW(1e-3)
    ```
    """

    def default_optimizer(self):
        """The optimizer `compile(optimizer="auto")` uses."""
        from keras_mm.optimizers.adamw import decoupled_adamw

        return decoupled_adamw(1e-3, weight_decay=0.01)

    def compile(self, optimizer="auto", **kwargs):
        if isinstance(optimizer, str) and optimizer == "auto":
            optimizer = self.default_optimizer()
        kwargs["jit_compile"] = resolve_jit_compile(
            self, kwargs.get("jit_compile", "auto"),
            kwargs.get("run_eagerly", False))
        super().compile(optimizer=optimizer, **kwargs)
        synchronize_model(self)

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)
