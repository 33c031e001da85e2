"""Per-modality gradient norms with a warning on 10× imbalance."""

import warnings

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.training.backend_gradients import compute_gradients
from keras_mm.training.backend_gradients import global_norm
from keras_mm.training.summary_writer import SummaryWriter
from keras_mm.training.variables import named_variables


def modality_gradient_norms(model, x, y=None):
    """`{modality: global gradient norm}` of the loss on batch `x`.

    A modality's variables are its encoder's and projection's.
    """
    named = named_variables(model)
    variables = [v for v in named.values() if v.trainable]

    def loss():
        y_pred = model(x, training=False)
        return model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)

    _, grads = compute_gradients(loss, variables)
    by_id = {id(v): g for v, g in zip(variables, grads)}
    norms = {}
    for modality, encoder in model.encoders.items():
        prefixes = (f"{encoder.name}/", f"{modality}_projection/")
        norms[modality] = global_norm([
            by_id[id(v)] for n, v in named.items()
            if n.startswith(prefixes) and id(v) in by_id
        ])
    return norms


@keras_mm_export
class ModalityGradientNorms(keras.callbacks.Callback):
    """Logs each modality's gradient norm; warns at a `ratio`× imbalance.

    Every `every_n_steps` batches the gradient of the loss on a fixed probe
    batch is computed eagerly; the per-tower global norms go to
    `self.history`, to the batch logs as `grad_norm/<modality>` and, with
    `log_dir`, to TensorBoard. When one tower's norm is `ratio` times
    another's a `UserWarning` names both.

    Example:
    ```python
    cb = keras_mm.training.ModalityGradientNorms(probe_x, every_n_steps=50)
    model.fit(x, callbacks=[cb])
    ```
    """

    def __init__(self, probe_x, probe_y=None, every_n_steps=50, ratio=10.0,
                 log_dir=None, initial_step=0):
        super().__init__()
        self.probe_x = probe_x
        self.probe_y = probe_y
        self.every_n_steps = int(every_n_steps)
        self.ratio = float(ratio)
        self.log_dir = log_dir
        self.history = []
        # The run's global step, so a resumed run's records follow on.
        self.step = int(initial_step)
        self._writer = None

    def get_config(self):
        # The probe batch is data, not configuration.
        return {"every_n_steps": self.every_n_steps, "ratio": self.ratio,
                "log_dir": self.log_dir}

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every_n_steps:
            return
        norms = modality_gradient_norms(self.model, self.probe_x,
                                        self.probe_y)
        self.history.append({"step": self.step, **norms})
        if logs is not None:
            logs.update({f"grad_norm/{m}": n for m, n in norms.items()})
        positive = {m: n for m, n in norms.items() if n > 0}
        if len(positive) > 1:
            high = max(positive, key=positive.get)
            low = min(positive, key=positive.get)
            if positive[high] >= self.ratio * positive[low]:
                warnings.warn(
                    f"Step {self.step}: {high} gradient norm "
                    f"{positive[high]:.3g} is "
                    f"{positive[high] / positive[low]:.1f}x the {low} norm "
                    f"{positive[low]:.3g} (>= {self.ratio:g}x)",
                    stacklevel=2,
                )
        if self.log_dir:
            self._write(norms)

    def _write(self, norms):
        if self._writer is None:
            self._writer = SummaryWriter(self.log_dir)
        for modality, norm in norms.items():
            self._writer.scalar(f"grad_norm/{modality}", norm, self.step)
        self._writer.flush()
