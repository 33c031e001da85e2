"""A BERT text encoder whose weights load from Hugging Face and keras-hub."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    run_blocks,
    transformer_blocks,
)
from keras_mm.models.bert.bert_block import ACTIVATIONS
from keras_mm.models.bert.bert_block import BertBlock
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.layers.position_embedding import PositionEmbedding

POOLINGS = ("pooler", "cls", "mean")


@keras_mm_export
class BertTextEncoder(FunctionalEncoder):
    """BERT: token + position + segment-0 embeddings, post-norm blocks.

    The architecture of Hugging Face's `BertModel` and keras-hub's
    `BertBackbone`; `keras_mm.checkpoints.load_checkpoint` fills it from a
    local checkpoint of either. Unlike keras-hub, the MLP activation is
    configurable, so a checkpoint trained with the exact GELU (Hugging Face
    `hidden_act: "gelu"`) reproduces its reference outputs.

    Args:
        vocabulary_size: int. Size of the token vocabulary.
        sequence_length: int. Maximum number of positions
            (`max_position_embeddings`); inputs may be shorter.
        hidden_dim: int. Token width.
        num_layers: int. Number of transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        activation: str. MLP activation: `"gelu"` (exact, erf),
            `"gelu_approximate"` (tanh, keras-hub's choice), `"relu"`...
        layer_norm_epsilon: float. Epsilon of every layer norm.
        type_vocabulary_size: int. Rows of the segment embedding (segment 0
            is added to every token).
        pooling: str. `"pooler"` (dense + tanh over `[CLS]`, BERT's pooled
            output), `"cls"` (the `[CLS]` token) or `"mean"` (mean over real
            tokens, sentence-transformers' default).
        normalize: bool. L2-normalise the pooled output.
        dropout: float. Dropout on embeddings and inside the blocks.

    Inputs: `{"token_ids": int (batch, length), "padding_mask": bool
    (batch, length)}` with `length <= sequence_length`.
    Outputs: `{"sequence_output": (batch, length, hidden_dim),
    "pooled_output": (batch, hidden_dim)}`. Padded positions of
    `sequence_output` are zero, and padding changes no other output.

    Example:
    ```python
    encoder = keras_mm.models.BertTextEncoder(
        vocabulary_size=100, sequence_length=16, hidden_dim=32,
        num_layers=2, num_heads=2)
    out = encoder({"token_ids": np.ones((2, 8), "int32"),
                   "padding_mask": np.ones((2, 8), "bool")})
    out["pooled_output"].shape  # (2, 32)
    ```

    References:
        Devlin et al., "BERT: Pre-training of Deep Bidirectional
        Transformers for Language Understanding", 2019.
    """

    input_keys = ("token_ids", "padding_mask")

    def __init__(
        self,
        vocabulary_size,
        sequence_length,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        activation="gelu",
        layer_norm_epsilon=1e-12,
        type_vocabulary_size=2,
        pooling="pooler",
        normalize=False,
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        if pooling not in POOLINGS:
            raise ValueError(
                f"pooling must be one of {POOLINGS}. "
                f"Received: pooling={pooling!r}"
            )
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}. "
                f"Received: activation={activation!r}"
            )
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)
        token_embedding = keras.layers.Embedding(
            vocabulary_size, hidden_dim, embeddings_initializer=initializer,
            dtype=dtype, name="token_embedding",
        )
        segment_embedding = keras.layers.Embedding(
            type_vocabulary_size, hidden_dim,
            embeddings_initializer=initializer, dtype=dtype,
            name="segment_embedding",
        )
        position_embedding = PositionEmbedding(
            sequence_length, dtype=dtype, name="position_embedding"
        )
        embeddings_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="embeddings_norm"
        )
        embeddings_dropout = keras.layers.Dropout(
            dropout, dtype=dtype, name="embeddings_dropout"
        )
        blocks = transformer_blocks(
            num_layers, BertBlock, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, activation=activation,
            layer_norm_epsilon=layer_norm_epsilon, dropout=dropout,
            dtype=dtype)
        if pooling == "pooler":
            pooler = keras.layers.Dense(
                hidden_dim, activation="tanh", dtype=dtype, name="pooler"
            )
        else:
            pooler = MaskedPooling(pooling, dtype=dtype, name="pooling")

        # === Functional Model ===
        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input((None,), dtype="bool",
                                   name="padding_mask")
        x = token_embedding(token_ids) + segment_embedding(
            ops.zeros_like(token_ids)
        )
        x = embeddings_dropout(embeddings_norm(position_embedding(x)))
        x = run_blocks(blocks, x, padding_mask=padding_mask)
        # Zero padded positions so that nothing about them leaks out.
        x = x * ops.cast(padding_mask, x.dtype)[:, :, None]
        if pooling == "pooler":
            pooled = pooler(x[:, 0])
        else:
            pooled = pooler(x, padding_mask=padding_mask)
        if normalize:
            # As torch.nn.functional.normalize: x / max(||x||, 1e-12).
            norm = ops.sqrt(ops.sum(ops.square(pooled), -1, keepdims=True))
            pooled = pooled / ops.maximum(norm, 1e-12)
        super().__init__(
            {"token_ids": token_ids, "padding_mask": padding_mask},
            x, pooled, locals(), dtype=dtype, **kwargs)
