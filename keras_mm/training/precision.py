"""Mixed-precision policy helper."""

import keras

from keras_mm.backend import keras_compat

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
    model = keras_mm.models.clip.build_quickstart_clip(...)
    ```
    """
    if policy not in POLICIES:
        raise ValueError(
            f"precision must be one of {POLICIES}. Received: {policy!r}"
        )
    keras.config.set_dtype_policy(policy)
    return keras.config.dtype_policy()


def model_precision(model):
    """The dtype policy most of `model`'s weight-owning layers run under
    (a few, e.g. some layer norms, are float32 islands by design)."""
    import collections

    counts = collections.Counter(
        layer.dtype_policy.name
        for layer in keras_compat.flatten_layers(model)
        if keras_compat.own_variables(layer))
    return counts.most_common(1)[0][0] if counts else (
        model.dtype_policy.name)


def check_model_precision(model, policy):
    """Raises ValueError when `model` was not built under `policy`.

    A built model keeps the policy it was built under: setting another one
    afterwards changes nothing, so a mismatch is refused, not ignored.

    Example:
    ```python
    keras_mm.training.precision.check_model_precision(model, "float32")
    ```
    """
    found = model_precision(model)
    if found != policy:
        raise ValueError(
            f"precision={policy!r} needs the model built under that policy "
            f"(this one runs under {found!r}): pass a callable that builds "
            "or loads it, e.g. lambda: "
            "keras_mm.models.load_pretrained(path)")
