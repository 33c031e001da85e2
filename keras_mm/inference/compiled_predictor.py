"""The fastest forward call of a Keras model on the current backend.

`model.predict_on_batch` pays for Keras' data adapters and step machinery on
every call, which dominates latency at batch 1. `CompiledPredictor` calls
the model the way each backend runs fastest:

- jax: `jax.jit` of `model.stateless_call`, reading the current weights on
  every call (so it stays correct while the model keeps training);
- tensorflow: a `tf.function` (XLA-compiled unless `jit_compile=False`);
- torch: a TorchScript trace of the call, one per input signature (shapes
  and dtypes), checked once against the eager call; it skips the Python
  work of every Keras layer call, which is most of the latency at batch 1.
  The trace reads the model's parameters (it is not frozen), so weight
  updates show. A trace that fails or disagrees falls back to eager.

This is the one module of `keras_mm.inference` that touches a backend.
"""

import keras

from keras_mm.inference.numpy_outputs import to_numpy_tree


class CompiledPredictor:
    """Wraps a model into a compiled, inference-only callable.

    Args:
        model: a built `keras.Model` (e.g. `ContrastiveModel.tower("image")`).
        jit_compile: bool. XLA-compile the call on tensorflow, trace it on
            torch (jax always compiles). `False` runs torch eagerly.

    Call arguments:
        inputs: what the model takes (array, or dict of arrays); each new
            input shape compiles once.

    Returns:
        The model's outputs as NumPy arrays (same structure).

    Example:
    ```python
    embed = keras_mm.inference.CompiledPredictor(model.tower("image"))
    embeddings = embed({"images": images})  # numpy (batch, dim)
    ```
    """

    def __init__(self, model, jit_compile=True):
        if not model.built:
            raise ValueError(
                f"CompiledPredictor needs a built model; '{model.name}' is "
                "not built. Call it once on example inputs first.")
        self.model = model
        self.backend = keras.config.backend()
        self._call = getattr(self, f"_{self.backend}_call")(jit_compile)

    def _jax_call(self, jit_compile):
        import jax

        model = self.model

        @jax.jit
        def forward(trainable, non_trainable, inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable,
                                              inputs, training=False)
            return outputs

        def call(inputs):
            return forward([v.value for v in model.trainable_variables],
                           [v.value for v in model.non_trainable_variables],
                           inputs)

        return call

    def _tensorflow_call(self, jit_compile):
        import tensorflow as tf

        model = self.model
        return tf.function(lambda inputs: model(inputs, training=False),
                           jit_compile=jit_compile, reduce_retracing=True)

    def _torch_call(self, jit_compile):
        import torch

        model = self.model

        def eager(inputs):
            with torch.inference_mode():
                return model(inputs, training=False)

        if not jit_compile:
            return eager
        from keras_mm.inference.torch_trace import traced_call

        return traced_call(model, eager)

    def __call__(self, inputs):
        return to_numpy_tree(self._call(inputs))
