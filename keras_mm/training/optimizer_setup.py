"""`build_optimizer`: keras_mm's AdamW tuned to a model and a run:
warmup-cosine over the run's steps, layer-wise lr decay, L1/L2."""

import re

import keras

from keras_mm.optimizers.adamw import decoupled_adamw
from keras_mm.optimizers.adamw import warmup_cosine
from keras_mm.training.variables import named_variables

BLOCK = re.compile(r"/block_(\d+)/")


def layer_decay_multipliers(model, decay):
    """Learning-rate factor of each variable for layer-wise decay.

    Within each tower with N blocks, block i gets `decay ** (N - i)`, the
    embeddings (anything before the blocks) `decay ** (N + 1)`, and the
    final norm, projections and logit scale 1. Returns `(variable, factor)`
    pairs.
    """
    depths = {}
    named = named_variables(model)
    for name in named:
        match = BLOCK.search(name)
        if match:
            tower = name.split("/", 1)[0]
            depths[tower] = max(depths.get(tower, 0), int(match.group(1)) + 1)
    multipliers = []  # (variable, factor) pairs: variables are unhashable
    for name, variable in named.items():
        tower = name.split("/", 1)[0]
        if tower not in depths:
            continue
        match = BLOCK.search(name)
        n = depths[tower]
        if match:
            multipliers.append((variable, decay ** (n - int(match.group(1)))))
        elif "final_norm" not in name:
            multipliers.append((variable, decay ** (n + 1)))
    return multipliers


def apply_regularization(model, l1=0.0, l2=0.0):
    """Switches L1/L2 penalties on every kernel (`model.losses` adds them).

    Returns the number of kernels regularised.
    """
    if not (l1 or l2):
        return 0
    regularizer = keras.regularizers.L1L2(l1=l1, l2=l2)
    count = 0
    for name, variable in named_variables(model).items():
        if name.endswith("/kernel") and variable.trainable:
            variable.regularizer = regularizer
            count += 1
    return count


def build_optimizer(model, total_steps, learning_rate=1e-3,
                    warmup_fraction=0.1, weight_decay=0.05, layer_decay=None,
                    global_clipnorm=1.0, gradient_accumulation_steps=None):
    """AdamW + warmup-cosine + decay exclusions + optional layer decay.

    Args:
        model: the model to train (for layer-wise decay).
        total_steps: int. Optimizer updates in the whole run.
        learning_rate: float. Peak learning rate.
        warmup_fraction: float. Fraction of the steps of linear warmup.
        weight_decay: float. Decoupled weight decay (not on biases, norms,
            embeddings or the temperature).
        layer_decay: float or None. Layer-wise lr decay factor (e.g. 0.75).
        global_clipnorm: float or None. Clip gradients by global norm.
        gradient_accumulation_steps: int or None. Plain (averaging)
            accumulation, exact only for per-sample losses.

    Example:
    ```python
    optimizer = keras_mm.training.build_optimizer(model, 1000, 5e-4,
                                                  layer_decay=0.75)
    model.compile(optimizer=optimizer)
    ```
    """
    optimizer = decoupled_adamw(
        warmup_cosine(total_steps, learning_rate, warmup_fraction),
        weight_decay=weight_decay,
        clipnorm=None,
        global_clipnorm=global_clipnorm,
        gradient_accumulation_steps=gradient_accumulation_steps,
    )
    if layer_decay:
        optimizer.set_multipliers(layer_decay_multipliers(model, layer_decay))
    return optimizer
