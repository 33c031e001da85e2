"""Masked language modeling (BERT / ALBEF MLM), optionally image-conditioned."""

import keras
import numpy as np
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.fusion.cross_attention_fusion import CrossAttentionFusion
from keras_mm.tasks.compile_defaults import CompileDefaults
from keras_mm.tasks.feed_defaults import FeedDefaults


@keras_mm_export
class MaskedLanguageModel(ConstructorConfig, FeedDefaults, CompileDefaults,
                          keras.Model):
    """Predicts masked caption tokens from the text (and the image).

    Masking happens in the data path with keras-hub's
    `MaskedLMMaskGenerator` (see `mask_tokens`), which gives the masked
    `token_ids`, the `mask_positions` to predict, their true `mask_ids`
    (the labels `y`) and `mask_weights` (the `sample_weight`). With an
    `image_encoder`, the text tokens cross-attend to the image tokens first
    (ALBEF's image-grounded MLM).

    Args:
        text_encoder: a model with `input_keys` `token_ids, padding_mask` and
            a `"sequence_output"`; should be bidirectional.
        vocabulary_size: int. Output vocabulary.
        image_encoder: optional image model with a `"sequence_output"`.
        num_fusion_layers: int. Cross-attention layers (with an image).
        num_heads: int. Heads of those layers.

    Call arguments:
        inputs: `{"token_ids", "padding_mask", "mask_positions"}` (+
            `"images"` with an image encoder).

    Returns:
        Logits `(batch, masked_positions, vocabulary_size)`.

    Example:
    ```python
    model = keras_mm.tasks.MaskedLanguageModel(text_encoder, vocab_size)
    x, y, w = keras_mm.tasks.MaskedLanguageModel.mask_tokens(
        text_inputs, vocab_size, mask_token_id=4)
    model.compile()
    model.fit(x, y, sample_weight=w)
    ```

    References:
        Devlin et al., "BERT", 2019; Li et al., "ALBEF", 2021.
    """

    def __init__(self, text_encoder, vocabulary_size, image_encoder=None,
                 num_fusion_layers=1, num_heads=2, **kwargs):
        super().__init__(**kwargs)
        self._remember_config(locals())
        kw = dict(dtype=self.dtype_policy)
        dim = text_encoder.output["sequence_output"].shape[-1]
        self.fusion_layers = []
        if image_encoder is not None:
            image_dim = image_encoder.output["sequence_output"].shape[-1]
            for i in range(num_fusion_layers):
                layer = CrossAttentionFusion(num_heads, name=f"fusion_{i}",
                                             **kw)
                layer.build((None, None, dim), (None, None, image_dim))
                self.fusion_layers.append(layer)
        self.head_dense = keras.layers.Dense(dim, activation="gelu",
                                             name="mlm_dense", **kw)
        self.head_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="mlm_norm", **kw)
        self.head_logits = keras.layers.Dense(vocabulary_size,
                                              name="mlm_logits", **kw)
        self.head_dense.build((None, None, dim))
        self.head_norm.build((None, None, dim))
        self.head_logits.build((None, None, dim))
        self.built = True

    def call(self, inputs, training=False):
        x = self.text_encoder(
            {"token_ids": inputs["token_ids"],
             "padding_mask": inputs["padding_mask"]},
            training=training)["sequence_output"]
        if self.image_encoder is not None:
            image_tokens = self.image_encoder(
                {"images": inputs["images"]},
                training=training)["sequence_output"]
            for layer in self.fusion_layers:
                x = layer(x, image_tokens, training=training)
        positions = ops.cast(inputs["mask_positions"], "int32")
        # Token states at the masked positions: (B, M, D).
        x = ops.take_along_axis(x, positions[:, :, None], axis=1)
        return self.head_logits(self.head_norm(self.head_dense(x)))

    def compile(self, optimizer="auto", loss="auto",
                weighted_metrics="auto", **kwargs):
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(
                from_logits=True)
        if weighted_metrics == "auto":
            weighted_metrics = [keras.metrics.SparseCategoricalAccuracy(
                name="mlm_accuracy")]
        super().compile(optimizer=optimizer, loss=loss,
                        weighted_metrics=weighted_metrics, **kwargs)

    @staticmethod
    def mask_tokens(text_inputs, vocabulary_size, mask_token_id,
                    mask_selection_rate=0.25, mask_selection_length=None,
                    unselectable_token_ids=(0, 2, 3), seed=None):
        """Masks a batch with keras-hub's `MaskedLMMaskGenerator`.

        Args:
            text_inputs: `{"token_ids", "padding_mask"}` arrays.
            vocabulary_size: int.
            mask_token_id: int. The `[MASK]` id.
            mask_selection_rate: float. Share of tokens selected.
            mask_selection_length: int. Predictions per row; defaults to
                `ceil(sequence_length * mask_selection_rate)`.
            unselectable_token_ids: ids never selected (pad, CLS, SEP).
            seed: int. Makes the masking reproducible.

        Returns:
            `(x, y, sample_weight)` NumPy: `x` with masked `token_ids`,
            `padding_mask` and `mask_positions`; `y` the true ids;
            `sample_weight` 0 for unused prediction slots.
        """
        import keras_hub  # Deferred: imports TensorFlow.

        from keras_mm.data.tf_graph import call_seeded

        token_ids = np.asarray(text_inputs["token_ids"], "int32")
        length = mask_selection_length or max(
            1, int(np.ceil(token_ids.shape[1] * mask_selection_rate)))
        generator = keras_hub.layers.MaskedLMMaskGenerator(
            vocabulary_size=vocabulary_size,
            mask_selection_rate=mask_selection_rate,
            mask_token_id=mask_token_id,
            mask_selection_length=length,
            unselectable_token_ids=list(unselectable_token_ids),
        )
        # keras-hub's generator draws its masks in TensorFlow.
        out = call_seeded(generator, token_ids, seed)
        x = {
            "token_ids": out["token_ids"].astype("int32"),
            "padding_mask": np.asarray(text_inputs["padding_mask"], bool),
            "mask_positions": out["mask_positions"].astype("int32"),
        }
        return x, out["mask_ids"].astype("int32"), out[
            "mask_weights"].astype("float32")
