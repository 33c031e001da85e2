"""`CompiledPredictor`'s jax call: `jax.jit` of `model.stateless_call`.

The current weights are read on every call, so the compiled call stays
correct while the model keeps training.
"""

import jax


def compiled_call(model, jit_compile=True):
    """`call(inputs)`: `model`'s inference outputs, jit-compiled (jax always
    compiles, whatever `jit_compile`)."""

    @jax.jit
    def forward(trainable, non_trainable, inputs):
        outputs, _ = model.stateless_call(trainable, non_trainable, inputs,
                                          training=False)
        return outputs

    def call(inputs):
        return forward([v.value for v in model.trainable_variables],
                       [v.value for v in model.non_trainable_variables],
                       inputs)

    return call
