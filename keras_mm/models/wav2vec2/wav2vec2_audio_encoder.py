"""wav2vec 2.0's encoder: conv feature encoder, conv positions, blocks."""

import keras

from keras_mm.api_export import keras_mm_export
from keras_mm.models.bert.bert_block import BertBlock
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.layers.transformer_block import TransformerBlock
from keras_mm.models.wav2vec2.wav2vec2_layers import TimeNormalization

FEATURE_NORMS = ("group", "layer")


@keras_mm_export
class Wav2Vec2AudioEncoder(FunctionalEncoder):
    """Hugging Face's `Wav2Vec2Model` (no masking, no adapter), weight for
    weight.

    The raw waveform goes through a stack of `Conv1D` layers (the feature
    encoder: `"group"` norm on the first layer only, as wav2vec2-base, or
    `"layer"` norm after every one, as the large "lv60" models), a
    LayerNorm + `Dense` feature projection, then a grouped `Conv1D` over
    time whose output is added as a relative position signal (weight norm
    folded into its kernel at load time), then transformer blocks:
    post-LayerNorm `BertBlock`s after a LayerNorm (`pre_norm=False`,
    `do_stable_layer_norm=False` in Hugging Face), or pre-LayerNorm
    `TransformerBlock`s and a final LayerNorm (`pre_norm=True`).
    `keras_mm.models.wav2vec2.load_hf_wav2vec2` fills it from a checkpoint.

    Args:
        conv_dims: list of int. Channels of each feature-encoder conv.
        conv_kernels: list of int. Their kernel sizes.
        conv_strides: list of int. Their strides.
        conv_bias: bool. Whether those convs have biases.
        feature_norm: str. `"group"` or `"layer"` (see above).
        hidden_dim: int. Token width.
        num_layers: int. Transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        num_conv_pos_embeddings: int. Kernel of the positional conv.
        num_conv_pos_embedding_groups: int. Its groups.
        pre_norm: bool. Pre-LayerNorm blocks (`do_stable_layer_norm`).
        activation: str. MLP activation (`"gelu"` is exact).
        feature_activation: str. Activation of the convs.
        layer_norm_epsilon: float. Epsilon of the projection and
            transformer layer norms (the conv norms use torch's 1e-5).
        dropout: float. Dropout after the projection and inside the blocks.

    Inputs: `{"input_values": float32 (batch, samples)}`, 16 kHz waveforms
    of any length (at least the receptive field, 400 samples for the
    released models), normalised as the checkpoint's preprocessor says
    (`keras_mm.models.wav2vec2.Wav2Vec2AudioPreprocessor`). There is no
    padding mask: every sample counts, as in Hugging Face without an
    `attention_mask`.
    Outputs: `{"sequence_output": (batch, frames, hidden_dim),
    "pooled_output": (batch, hidden_dim)}`, the mean over frames.

    Example:
    ```python
    encoder = keras_mm.models.wav2vec2.Wav2Vec2AudioEncoder(
        conv_dims=(16, 16), conv_kernels=(10, 3), conv_strides=(5, 2),
        hidden_dim=32, num_layers=2, num_heads=2,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    out = encoder({"input_values": np.zeros((2, 1600), "float32")})
    out["sequence_output"].shape  # (2, 159, 32)
    ```

    References:
        Baevski et al., "wav2vec 2.0: A Framework for Self-Supervised
        Learning of Speech Representations", 2020.
    """

    input_keys = ("input_values",)

    def __init__(
        self,
        conv_dims,
        conv_kernels,
        conv_strides,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim=None,
        conv_bias=False,
        feature_norm="group",
        num_conv_pos_embeddings=128,
        num_conv_pos_embedding_groups=16,
        pre_norm=False,
        activation="gelu",
        feature_activation="gelu",
        layer_norm_epsilon=1e-5,
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        if feature_norm not in FEATURE_NORMS:
            raise ValueError(
                f"feature_norm must be one of {FEATURE_NORMS}. "
                f"Received: feature_norm={feature_norm!r}")
        if not len(conv_dims) == len(conv_kernels) == len(conv_strides):
            raise ValueError(
                "conv_dims, conv_kernels and conv_strides must have the same "
                f"length. Received: conv_dims={conv_dims}, "
                f"conv_kernels={conv_kernels}, conv_strides={conv_strides}")
        conv_dims, conv_kernels, conv_strides = (
            [int(v) for v in values]
            for values in (conv_dims, conv_kernels, conv_strides))
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        common = dict(dtype=dtype)

        # === Layers ===
        feature_layers = []
        for i, (dim, kernel, stride) in enumerate(
                zip(conv_dims, conv_kernels, conv_strides)):
            feature_layers.append(keras.layers.Conv1D(
                dim, kernel, strides=stride, use_bias=conv_bias,
                name=f"feature_conv_{i}", **common))
            if feature_norm == "layer":
                feature_layers.append(keras.layers.LayerNormalization(
                    epsilon=1e-5, name=f"feature_norm_{i}", **common))
            elif i == 0:
                # torch's GroupNorm(C, C): each channel normalised over
                # time, per example.
                feature_layers.append(TimeNormalization(
                    epsilon=1e-5, name="feature_norm_0", **common))
            feature_layers.append(keras.layers.Activation(
                feature_activation, name=f"feature_activation_{i}",
                **common))
        projection_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, name="projection_norm", **common)
        projection = keras.layers.Dense(hidden_dim, name="projection",
                                        **common)
        projection_dropout = keras.layers.Dropout(
            dropout, name="projection_dropout", **common)
        # torch's Conv1d(padding=K // 2); an even kernel then yields one
        # frame too many, which Hugging Face's SamePad layer drops.
        position_padding = keras.layers.ZeroPadding1D(
            num_conv_pos_embeddings // 2, name="position_padding")
        position_conv = keras.layers.Conv1D(
            hidden_dim, num_conv_pos_embeddings,
            groups=num_conv_pos_embedding_groups,
            activation=feature_activation, name="position_conv", **common)
        position_crop = (
            keras.layers.Cropping1D((0, 1), name="position_crop")
            if num_conv_pos_embeddings % 2 == 0 else None)
        add_positions = keras.layers.Add(name="add_positions", **common)
        encoder_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon,
            name="final_norm" if pre_norm else "encoder_norm", **common)
        encoder_dropout = keras.layers.Dropout(
            dropout, name="encoder_dropout", **common)
        blocks = transformer_blocks(
            num_layers, TransformerBlock if pre_norm else BertBlock,
            hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, activation=activation,
            layer_norm_epsilon=layer_norm_epsilon, dropout=dropout, **common)
        pooling = MaskedPooling("mean", name="pooling", **common)

        # === Functional Model ===
        waveform = keras.Input((None,), name="input_values")
        x = keras.layers.Reshape((-1, 1), name="to_channels")(waveform)
        for layer in feature_layers:
            x = layer(x)  # (B, frames, conv_dims[-1]) at the end
        x = projection_dropout(projection(projection_norm(x)))  # (B, T, D)
        positions = position_conv(position_padding(x))
        if position_crop is not None:
            positions = position_crop(positions)
        x = add_positions([x, positions])
        if pre_norm:
            # Pre-norm blocks normalise their own inputs; the LayerNorm
            # moves to the end.
            x = run_blocks(blocks, encoder_dropout(x), encoder_norm)
        else:
            x = run_blocks(blocks, encoder_dropout(encoder_norm(x)))
        super().__init__({"input_values": waveform}, x, pooling(x),
                         locals(), dtype=dtype, **kwargs)
