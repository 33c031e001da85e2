"""Optimizers and learning-rate schedules; tasks' `compile("auto")` uses them."""

from keras_mm.optimizers.adamw import ScaledAdamW
from keras_mm.optimizers.adamw import decoupled_adamw
from keras_mm.optimizers.schedules import warmup_cosine
