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

Each backend's call is `keras_mm.backend.<backend>.predictor`.
"""

from keras_mm import backend
from keras_mm.backend.numpy_outputs import to_numpy_tree


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
        self.backend = backend.name()
        compiled = backend.native("predictor")
        if compiled is None:
            self._call = lambda inputs: model(inputs, training=False)
        else:
            self._call = compiled.compiled_call(model, jit_compile)

    def __call__(self, inputs):
        return to_numpy_tree(self._call(inputs))
