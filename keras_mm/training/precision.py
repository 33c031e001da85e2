"""Mixed-precision policy helper."""

import keras

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def set_precision(policy):
    """Sets the global dtype policy; call before building the model.

    Under the mixed policies variables stay float32 and layers compute in
    float16/bfloat16. What stays float32 in keras_mm: the L2-normalised
    embeddings, the logit scale and logits (`LogitScale` casts), softmax and
    the losses (`keras_mm.losses` cast their inputs), layer norms (Keras
    computes `layer_normalization` in float32 and its weights do not
    autocast), and inside every `TransformerBlock` everything but the four
    projections' matmuls: the residual stream, norms and attention, as
    `torch.autocast` runs a transformer. `mixed_float16` needs loss
    scaling: `compile` wraps the optimizer in
    `keras.optimizers.LossScaleOptimizer` automatically, and the exact
    accumulation step scales/unscales through it too.

    Example:
    ```python
    keras_mm.training.set_precision("mixed_bfloat16")
    model = keras_mm.quickstart.build_model(...)
    ```
    """
    if policy not in POLICIES:
        raise ValueError(
            f"precision must be one of {POLICIES}. Received: {policy!r}"
        )
    keras.config.set_dtype_policy(policy)
    return keras.config.dtype_policy()
