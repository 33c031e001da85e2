"""Optimizers and schedules; every task's `compile("auto")` uses them."""

from keras_mm.optimizers.adamw import ScaledAdamW
from keras_mm.optimizers.adamw import decoupled_adamw
from keras_mm.optimizers.adamw import warmup_cosine
