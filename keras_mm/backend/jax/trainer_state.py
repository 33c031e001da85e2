"""A model that keeps its weights when `fit` fails before its first step.

Keras' jax trainer detaches every variable's value when an epoch's first
step begins (`_purge_model_variables`, to hold one copy of the weights) and
puts the step's results back after the epoch. When the first batch cannot
be read (a `DataError` in its first chunk) no step returns, nothing is put
back, and the next `evaluate` or `fit` fails on variables without values.
"""

import contextlib


@contextlib.contextmanager
def weights_kept_on_error(model):
    """Around `fit`/`evaluate`/`predict`: on an exception, the values the
    trainer detached are restored, or the last step's results synced.

    Example:
    ```python
    with weights_kept_on_error(model):
        keras.Model.fit(model, dataset)
    ```
    """
    if "_purge_model_variables" in vars(model):
        yield  # inside fit's own evaluate: the outer guard covers it
        return
    detached = []
    state_at_purge = []
    purge = model._purge_model_variables

    def recording_purge(**which):
        detached.clear()  # a sync has put back what earlier purges took
        groups = {
            "trainable_variables": model.trainable_variables,
            "non_trainable_variables": model.non_trainable_variables,
            "optimizer_variables": (
                model.optimizer.variables
                if getattr(model, "optimizer", None) else []),
            "metrics_variables": model.metrics_variables,
        }
        for group, chosen in which.items():
            if chosen:
                detached.extend((v, v._value) for v in groups[group]
                                if v._value is not None)
        state_at_purge.append(getattr(model, "_jax_state", None))
        return purge(**which)

    model._purge_model_variables = recording_purge
    try:
        yield
    except BaseException:
        stepped = (state_at_purge and
                   getattr(model, "_jax_state", None) is not state_at_purge[-1])
        if stepped:
            model.jax_state_sync()
        else:
            for variable, value in detached:
                if variable._value is None:
                    variable._value = value
            model._jax_state_synced = True
        raise
    finally:
        del model._purge_model_variables
