"""Learning-rate schedules."""

import keras


def warmup_cosine(total_steps, peak_learning_rate, warmup_fraction=0.1,
                  final_fraction=0.01):
    """Linear warmup over a fraction of the steps, then cosine decay.

    Example:
    ```python
    schedule = keras_mm.optimizers.warmup_cosine(1000, 1e-3)
    float(schedule(0)), float(schedule(100))  # 0.0, 1e-3
    ```
    """
    warmup = max(1, int(round(total_steps * warmup_fraction)))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup),
        alpha=final_fraction,
        warmup_target=peak_learning_rate,
        warmup_steps=warmup,
    )
