"""Image captioning: a causal transformer decoder reading image tokens."""

import keras
import numpy as np
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import ConstructorConfig
from keras_mm.fusion.cross_attention_fusion import CrossAttentionFusion
from keras_mm.layers.position_embedding import PositionEmbedding
from keras_mm.layers.transformer_block import TransformerBlock
from keras_mm.losses.sequence import caption_loss
from keras_mm.tasks.compile_defaults import CompileDefaults
from keras_mm.tasks.feed_defaults import FeedDefaults


@keras_mm_export
class CaptioningModel(ConstructorConfig, FeedDefaults, CompileDefaults,
                      keras.Model):
    """Image encoder + transformer decoder with cross-attention.

    Each decoder layer is causal self-attention over the caption so far
    (padded positions hidden) followed by cross-attention from the caption
    tokens to the image encoder's tokens. Training is teacher-forced: the
    next-token labels are the inputs shifted by one, built in
    `compute_loss`, so `fit(x)` needs no `y`. `generate()` decodes greedily
    or with beam search; the search runs in NumPy around the model's
    forward pass, so it behaves the same on every backend.

    Args:
        image_encoder: a model with `input_keys == ("images",)` and a
            `"sequence_output"` output.
        vocabulary_size: int. Caption vocabulary size.
        sequence_length: int. Maximum caption length, start token included.
        hidden_dim: int. Decoder width.
        num_layers: int. Decoder layers.
        num_heads: int. Attention heads.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        dropout: float. Dropout inside the decoder.
        start_token_id, end_token_id, pad_token_id: int. Special tokens
            (defaults match `keras_mm.data.TextPreprocessor`: `[CLS]`,
            `[SEP]`, `[PAD]`).

    Call arguments:
        inputs: `{"images", "token_ids", "padding_mask"}`.

    Returns:
        Next-token logits `(batch, tokens, vocabulary_size)`.

    Example:
    ```python
    captioner = keras_mm.tasks.CaptioningModel(
        image_encoder, vocabulary_size=64, sequence_length=16,
        hidden_dim=32, num_layers=1, num_heads=2)
    captioner.compile()
    captioner.fit({"images": images, **text_inputs}, epochs=1)
    token_ids = captioner.generate({"images": images}, num_beams=3)
    ```

    References:
        Vinyals et al., "Show and Tell", 2015; Li et al., "BLIP", 2022.
    """

    def __init__(self, image_encoder, vocabulary_size, sequence_length,
                 hidden_dim, num_layers, num_heads, intermediate_dim=None,
                 dropout=0.0, start_token_id=2, end_token_id=3,
                 pad_token_id=0, **kwargs):
        super().__init__(**kwargs)
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        self._remember_config(locals())

        # === Layers ===
        kw = dict(dtype=self.dtype_policy)
        image_dim = image_encoder.output["sequence_output"].shape[-1]
        text_shape = (None, sequence_length, hidden_dim)
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size, hidden_dim,
            embeddings_initializer=keras.initializers.RandomNormal(
                stddev=0.02),
            name="token_embedding", **kw)
        self.token_embedding.build((None, sequence_length))
        self.position_embedding = PositionEmbedding(
            sequence_length, name="position_embedding", **kw)
        self.position_embedding.build(text_shape)
        self.self_attention_blocks = []
        self.cross_attention_blocks = []
        for i in range(num_layers):
            block = TransformerBlock(
                hidden_dim, num_heads, intermediate_dim, causal=True,
                dropout=dropout, name=f"decoder_self_{i}", **kw)
            block.build(text_shape)
            cross = CrossAttentionFusion(
                num_heads, intermediate_dim, dropout=dropout,
                name=f"decoder_cross_{i}", **kw)
            cross.build(text_shape, (None, None, image_dim))
            self.self_attention_blocks.append(block)
            self.cross_attention_blocks.append(cross)
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="final_norm", **kw)
        self.final_norm.build(text_shape)
        self.lm_head = keras.layers.Dense(vocabulary_size, name="lm_head",
                                          **kw)
        self.lm_head.build(text_shape)
        self.token_accuracy_tracker = keras.metrics.Mean(
            name="token_accuracy")
        self.built = True

    def encode_image(self, images, training=False):
        """Image tokens `(batch, image_tokens, image_dim)`."""
        return self.image_encoder({"images": images},
                                  training=training)["sequence_output"]

    def decode(self, image_tokens, token_ids, padding_mask, training=False):
        """Next-token logits given image tokens and a caption prefix."""
        x = self.position_embedding(self.token_embedding(token_ids))
        for block, cross in zip(self.self_attention_blocks,
                                self.cross_attention_blocks):
            x = block(x, padding_mask=padding_mask, training=training)
            x = cross(x, image_tokens, training=training)
        return self.lm_head(self.final_norm(x))  # (B, T, V)

    def call(self, inputs, training=False):
        image_tokens = self.encode_image(inputs["images"], training)
        return self.decode(image_tokens, inputs["token_ids"],
                           inputs["padding_mask"], training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        loss, accuracy = caption_loss(y_pred, x["token_ids"],
                                      x["padding_mask"])
        self.token_accuracy_tracker.update_state(accuracy)
        for extra in self.losses:
            loss = loss + ops.cast(extra, "float32")
        return loss

    # === Decoding (NumPy control flow, backend forward passes) ===

    def _log_probs(self, image_tokens, tokens, step):
        """log p(token at `step` | tokens[:, :step]) as NumPy `(N, V)`."""
        mask = np.broadcast_to(np.arange(tokens.shape[1]) < step,
                               tokens.shape)
        logits = self.decode(image_tokens, ops.convert_to_tensor(tokens),
                             ops.convert_to_tensor(mask))
        logits = np.asarray(ops.convert_to_numpy(logits[:, step - 1]),
                            "float64")
        logits -= logits.max(-1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(-1, keepdims=True))

    def generate(self, inputs, max_length=None, num_beams=1,
                 return_scores=False):
        """Decodes captions for `inputs["images"]`.

        Args:
            inputs: `{"images": (batch, H, W, 3)}` or the image array.
            max_length: int. Output length, at most `sequence_length`.
            num_beams: int. 1 decodes greedily; more runs beam search,
                keeping the `num_beams` best prefixes by summed log-prob.
            return_scores: bool. Also return each caption's summed
                log-probability.

        Returns:
            int32 NumPy `(batch, max_length)` token ids starting with the
            start token; after the end token every id is `pad_token_id`.
        """
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        max_length = min(max_length or self.sequence_length,
                         self.sequence_length)
        if num_beams < 1:
            raise ValueError(f"num_beams must be >= 1. Received: {num_beams}")
        image_tokens = self.encode_image(ops.convert_to_tensor(
            np.asarray(images, "float32")))
        batch = int(ops.shape(image_tokens)[0])
        k = num_beams
        if k > 1:
            # Every image is repeated once per beam: (B*K, N, D).
            image_tokens = ops.repeat(image_tokens, k, axis=0)
        tokens = np.full((batch * k, self.sequence_length),
                         self.pad_token_id, "int32")
        tokens[:, 0] = self.start_token_id
        scores = np.zeros((batch, k))
        scores[:, 1:] = -np.inf  # all beams start identical: keep one
        done = np.zeros(batch * k, bool)
        for step in range(1, max_length):
            log_probs = self._log_probs(image_tokens, tokens, step)
            # A finished caption can only continue with padding, for free.
            log_probs[done] = -np.inf
            log_probs[done, self.pad_token_id] = 0.0
            vocab = log_probs.shape[-1]
            total = scores[:, :, None] + log_probs.reshape(batch, k, vocab)
            flat = total.reshape(batch, k * vocab)
            # Best k (beam, token) pairs per image, highest first.
            best = np.argsort(-flat, axis=-1, kind="stable")[:, :k]
            beam, token = best // vocab, best % vocab
            rows = (np.arange(batch)[:, None] * k + beam).reshape(-1)
            tokens = tokens[rows]
            done = done[rows]
            tokens[:, step] = token.reshape(-1)
            done = done | (token.reshape(-1) == self.end_token_id)
            scores = np.take_along_axis(flat, best, axis=-1)
            if done.all():
                break
        # Beams are sorted by score, so beam 0 is each image's best.
        output = tokens.reshape(batch, k, -1)[:, 0, :max_length]
        if return_scores:
            return output, scores[:, 0]
        return output
