"""Gradients of models whose variables share paths (torch).

Keras registers torch parameters by variable path. A contrastive model's
towers share paths (`block_0/qkv/kernel`), and so do a distiller's
student and teacher, so `Module.zero_grad` misses parameters whose `.grad`
would then accumulate across steps.
"""


def clear(model):
    """Drops the `.grad` of every trainable variable of `model`; called
    before each train step."""
    for variable in model.trainable_variables:
        variable.value.grad = None
