"""Fusion by a learned, per-sample weighting of modalities."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class GatedFusion(keras.layers.Layer):
    """Weighted sum of projected modality features with a learned gate.

    Every modality's features are projected to `hidden_dim`; a gate reads
    all of them (concatenated) and gives each sample a softmax weight per
    modality; the output is the weighted sum. The weights of the last call
    stay readable as `layer.modality_weights` (`(batch, num_modalities)`)
    after an eager call, or are returned with `return_weights=True`.

    Args:
        hidden_dim: int. Width of the fused features.
        temperature: float. Softmax temperature of the gate.

    Call arguments:
        inputs: list of float tensors `(batch, dim_i)` (or
            `(batch, tokens, dim_i)`, gated per token).
        return_weights: bool. Also return the weights.

    Returns:
        `(batch, hidden_dim)`, or `(fused, weights)` with `return_weights`.

    Example:
    ```python
    gate = keras_mm.fusion.GatedFusion(32)
    fused = gate([np.ones((4, 16), "float32"), np.ones((4, 8), "float32")])
    gate.modality_weights.shape  # (4, 2), rows sum to 1
    ```

    References:
        Arevalo et al., "Gated Multimodal Units for Information Fusion",
        2017.
    """

    def __init__(self, hidden_dim, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        if temperature <= 0:
            raise ValueError(
                f"temperature must be > 0. Received: {temperature}")
        self.hidden_dim = hidden_dim
        self.temperature = temperature
        self.modality_weights = None

    def build(self, inputs_shape):
        if len(inputs_shape) < 2:
            raise ValueError(
                "GatedFusion needs at least two modalities. Received: "
                f"{len(inputs_shape)} inputs"
            )
        kw = dict(dtype=self.dtype_policy)
        self.projections = []
        for i, shape in enumerate(inputs_shape):
            dense = keras.layers.Dense(
                self.hidden_dim, activation="tanh", name=f"projection_{i}",
                **kw)
            dense.build(tuple(shape))
            self.projections.append(dense)
        total = sum(s[-1] for s in inputs_shape)
        self.gate = keras.layers.Dense(len(inputs_shape), name="gate", **kw)
        self.gate.build(tuple(inputs_shape[0][:-1]) + (total,))

    def call(self, inputs, return_weights=False):
        projected = [p(x) for p, x in zip(self.projections, inputs)]
        logits = self.gate(ops.concatenate(list(inputs), axis=-1))
        weights = ops.softmax(logits / self.temperature, axis=-1)  # (B, M)
        stacked = ops.stack(projected, axis=-2)  # (B, M, D)
        fused = ops.sum(stacked * weights[..., None], axis=-2)  # (B, D)
        # Kept for inspection after an eager call (a tracer under jit).
        self.modality_weights = weights
        if return_weights:
            return fused, weights
        return fused

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_dim": self.hidden_dim,
            "temperature": self.temperature,
        }
