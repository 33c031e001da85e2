"""Whisper's audio encoder: conv front end, sinusoids, pre-norm blocks."""

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    final_norm_and_pooling,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.position_embedding import PositionEmbedding


@keras_mm_export
class WhisperAudioEncoder(FunctionalEncoder):
    """The encoder half of Whisper, weight for weight.

    Two `Conv1D` (kernel 3, exact GELU; the second with stride 2, halving
    the frames), a `(max_source_positions, hidden_dim)` position table
    (sinusoids in Whisper's checkpoints, loaded as stored and frozen, as
    Hugging Face freezes it), pre-LayerNorm transformer blocks and a final
    LayerNorm: Hugging Face's `WhisperEncoder`. Its key projection has no
    bias; in the fused QKV `Dense` that part of the bias is zero.
    `keras_mm.models.whisper.load_hf_whisper` fills it from a checkpoint.

    Args:
        num_mel_bins: int. Mel bins of the input features.
        max_source_positions: int. Tokens after the stride-2 conv; the
            input has exactly `2 * max_source_positions` frames (Whisper:
            1500 tokens from 3000 frames, 30 s).
        hidden_dim: int. Token width (`d_model`).
        num_layers: int. Transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        activation: str. MLP activation (a Keras name; `"gelu"` is exact).
        layer_norm_epsilon: float. Epsilon of every layer norm.
        dropout: float. Dropout after the positions and inside the blocks.

    Inputs: `{"input_features": float32 (batch, num_mel_bins,
    2 * max_source_positions)}`, log-mel features laid out as Hugging Face's
    `WhisperFeatureExtractor` returns them (and
    `keras_mm.models.whisper.WhisperAudioPreprocessor` does).
    Outputs: `{"sequence_output": (batch, max_source_positions, hidden_dim),
    "pooled_output": (batch, hidden_dim)}`, the mean over tokens.

    Example:
    ```python
    encoder = keras_mm.models.whisper.WhisperAudioEncoder(
        num_mel_bins=16, max_source_positions=25, hidden_dim=32,
        num_layers=2, num_heads=2)
    out = encoder({"input_features": np.zeros((2, 16, 50), "float32")})
    out["sequence_output"].shape  # (2, 25, 32)
    ```

    References:
        Radford et al., "Robust Speech Recognition via Large-Scale Weak
        Supervision", 2022.
    """

    input_keys = ("input_features",)

    def __init__(
        self,
        num_mel_bins,
        max_source_positions,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        common = dict(dtype=dtype)
        to_channels_last = keras.layers.Permute((2, 1), name="to_frames")
        # torch's Conv1d(padding=1) pads both ends; Keras "same" with
        # stride 2 would pad only the right, so pad explicitly.
        conv1_padding = keras.layers.ZeroPadding1D(1, name="conv1_padding")
        conv1 = keras.layers.Conv1D(hidden_dim, 3, activation="gelu",
                                    name="conv1", **common)
        conv2_padding = keras.layers.ZeroPadding1D(1, name="conv2_padding")
        conv2 = keras.layers.Conv1D(hidden_dim, 3, strides=2,
                                    activation="gelu", name="conv2",
                                    **common)
        position_embedding = PositionEmbedding(
            max_source_positions, trainable=False,
            name="position_embedding", **common)
        embeddings_dropout = keras.layers.Dropout(
            dropout, name="embeddings_dropout", **common)
        blocks = transformer_blocks(
            num_layers, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, dropout=dropout,
            activation=activation, layer_norm_epsilon=layer_norm_epsilon,
            **common)
        final_norm, pooling = final_norm_and_pooling(
            "mean", layer_norm_epsilon, dtype)

        # === Functional Model ===
        features = keras.Input(
            (num_mel_bins, 2 * max_source_positions), name="input_features")
        x = to_channels_last(features)  # (B, 2T, mels)
        x = conv1(conv1_padding(x))  # (B, 2T, D)
        x = conv2(conv2_padding(x))  # (B, T, D)
        x = embeddings_dropout(position_embedding(x))
        sequence = run_blocks(blocks, x, final_norm)
        super().__init__(
            {"input_features": features},
            sequence, pooling(sequence), locals(), dtype=dtype, **kwargs)
