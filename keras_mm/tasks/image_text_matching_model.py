"""Image–text matching with in-batch hard negatives (ALBEF / BLIP)."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.distribution.collectives import gather_global_batch
from keras_mm.fusion.cross_attention_fusion import CrossAttentionFusion
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.losses.matching import itm_loss
from keras_mm.tasks.contrastive_model import ContrastiveModel
from keras_mm.tasks.contrastive_model import l2_normalize

# Logit given to pairs that may not serve as negatives (the positive itself
# and exact duplicate captions).
_EXCLUDED = -1e9


@keras_mm_export
class ImageTextMatchingModel(ContrastiveModel):
    """Contrastive alignment (ITC) + a fused matching head (ITM).

    The image and text towers are aligned with the contrastive loss of
    `ContrastiveModel`; then cross-attention layers let the text tokens read
    the image tokens and a binary head scores whether the pair matches.
    Negatives for the matching head are mined in-batch from the contrastive
    similarities: for each image a text is drawn with probability
    `softmax(similarity)` over the other captions (and vice versa), so
    confusable pairs are seen most. Captions identical to the positive
    (same token ids) are never used as negatives. Outside training the
    hardest negative (arg-max) is taken, so outputs are deterministic.

    Args:
        encoders: `{"image": encoder, "text": encoder}`; both must have a
            `"sequence_output"` output; the text encoder takes
            `token_ids` and `padding_mask`.
        projection_dim: int. Width of the contrastive embedding.
        num_fusion_layers: int. Cross-attention fusion layers.
        num_heads: int. Heads of the fusion layers.
        intermediate_dim: int. MLP width of the fusion layers.
        loss: str. Contrastive loss, `"clip"` or `"siglip"`.
        itc_weight: float. Weight of the contrastive part of the loss.
        seed: int. Seed of the negative sampling.

    Call arguments:
        inputs: `{"images", "token_ids", "padding_mask"}`, row i of each
            being a pair.

    Returns:
        `{"image_embeddings", "text_embeddings", "itm_logits" (batch, 2)
        for the given pairs (column 1 = match), "itm_negative_logits"
        (2 * batch, 2) for the mined image→text then text→image
        negatives}`.

    Example:
    ```python
    model = keras_mm.tasks.ImageTextMatchingModel(
        {"image": image_encoder, "text": text_encoder}, projection_dim=32)
    model.compile()  # The contrastive and the matching losses.
    logits = model({"images": images, **text_inputs})["itm_logits"]
    match_probability = keras.ops.softmax(logits)[:, 1]
    ```

    References:
        Li et al., "Align before Fuse" (ALBEF), 2021; Li et al., "BLIP",
        2022.
    """

    def __init__(self, encoders, projection_dim=64, num_fusion_layers=1,
                 num_heads=2, intermediate_dim=None, loss="clip",
                 itc_weight=1.0, seed=None, **kwargs):
        if set(encoders) != {"image", "text"}:
            raise ValueError(
                "ImageTextMatchingModel needs exactly the encoders 'image' "
                f"and 'text'. Received: {sorted(encoders)}"
            )
        super().__init__(encoders, projection_dim=projection_dim, loss=loss,
                         **kwargs)
        self.num_fusion_layers = num_fusion_layers
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.itc_weight = itc_weight
        self.seed = seed
        text_dim = self.encoders["text"].output["sequence_output"].shape[-1]
        image_dim = self.encoders["image"].output["sequence_output"].shape[-1]
        kw = dict(dtype=self.dtype_policy)
        self.fusion_layers = []
        for i in range(num_fusion_layers):
            layer = CrossAttentionFusion(
                num_heads, intermediate_dim, name=f"fusion_{i}", **kw)
            layer.build((None, None, text_dim), (None, None, image_dim))
            self.fusion_layers.append(layer)
        self.fused_pooling = MaskedPooling("mean", name="fused_pooling", **kw)
        self.itm_head = keras.layers.Dense(2, name="itm_head", **kw)
        self.itm_head.build((None, text_dim + projection_dim))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.itc_loss_tracker = keras.metrics.Mean(name="itc_loss")
        self.itm_loss_tracker = keras.metrics.Mean(name="itm_loss")
        self.itm_accuracy_tracker = keras.metrics.Mean(name="itm_accuracy")

    def match(self, image, text, padding_mask, training=False):
        """Match logits `(batch, 2)` of row-aligned image/text pairs.

        `image` and `text` are `(tokens, embeddings)` tuples. The head reads
        the pooled fused text tokens and the element-wise product of the
        two contrastive embeddings (scaled to sum to their logit), so what
        the contrastive objective learns is available to matching at once.
        """
        image_tokens, image_embeddings = image
        text_tokens, text_embeddings = text
        x = text_tokens
        for layer in self.fusion_layers:
            x = layer(x, image_tokens, training=training)
        fused = self.fused_pooling(x, padding_mask=padding_mask)
        # Scaled so that the features sum to the contrastive logit.
        agreement = ops.cast(
            image_embeddings * text_embeddings * self.logit_scale.scale(),
            fused.dtype)
        return self.itm_head(ops.concatenate([fused, agreement], axis=-1))

    def _negative_indices(self, logits, training):
        if training:
            return keras.random.categorical(
                logits, 1, seed=self.seed_generator)[:, 0]
        return ops.argmax(logits, axis=-1)

    def call(self, inputs, training=False):
        image_out = self.encoders["image"](
            {"images": inputs["images"]}, training=training)
        text_out = self.encoders["text"](
            {"token_ids": inputs["token_ids"],
             "padding_mask": inputs["padding_mask"]}, training=training)
        image_embeddings = self._embed("image", image_out)
        text_embeddings = self._embed("text", text_out)
        image = (image_out["sequence_output"], image_embeddings)
        text = (text_out["sequence_output"], text_embeddings)
        mask = inputs["padding_mask"]
        positive = self.match(image, text, mask, training)

        # === Hard negatives from the (frozen) contrastive similarities ===
        similarity = ops.stop_gradient(
            self.similarity(image_embeddings, text_embeddings))  # (B, B)
        token_ids = inputs["token_ids"]
        same = ops.all(
            ops.equal(token_ids[:, None, :], token_ids[None, :, :]), axis=-1
        )  # (B, B), True on the diagonal and for duplicate captions
        i2t = ops.where(same, _EXCLUDED, similarity)
        t2i = ops.where(ops.transpose(same), _EXCLUDED,
                        ops.transpose(similarity))
        negative_text = self._negative_indices(i2t, training)  # (B,)
        negative_image = self._negative_indices(t2i, training)  # (B,)
        def rows(pair, index):
            return tuple(ops.take(t, index, axis=0) for t in pair)

        negatives = ops.concatenate([
            self.match(image, rows(text, negative_text),
                       ops.take(mask, negative_text, axis=0), training),
            self.match(rows(image, negative_image), text, mask, training),
        ], axis=0)  # (2B, 2)
        return {
            "image_embeddings": image_embeddings,
            "text_embeddings": text_embeddings,
            "itm_logits": positive,
            "itm_negative_logits": negatives,
        }

    def _embed(self, modality, encoder_output):
        return l2_normalize(
            self.projections[modality](encoder_output["pooled_output"]))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        embeddings = {
            m: gather_global_batch(y_pred[f"{m}_embeddings"])
            for m in self.modalities
        }
        itc = self.contrastive_loss(embeddings)
        positive = y_pred["itm_logits"]
        negative = y_pred["itm_negative_logits"]
        logits = ops.concatenate([positive, negative], axis=0)
        labels = ops.concatenate([
            ops.ones(ops.shape(positive)[:1], "int32"),
            ops.zeros(ops.shape(negative)[:1], "int32"),
        ])
        itm = itm_loss(logits, labels)
        hits = ops.equal(ops.cast(ops.argmax(logits, -1), "int32"), labels)
        self.itc_loss_tracker.update_state(itc)
        self.itm_loss_tracker.update_state(itm)
        self.itm_accuracy_tracker.update_state(
            ops.mean(ops.cast(hits, "float32")))
        loss = self.itc_weight * itc + itm
        for extra in self.losses:
            loss = loss + ops.cast(extra, "float32")
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            "num_fusion_layers": self.num_fusion_layers,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "itc_weight": self.itc_weight,
            "seed": self.seed,
        }
