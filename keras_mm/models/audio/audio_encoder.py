"""An audio encoder: log-mel front end, conv stem, transformer."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    final_norm_and_pooling,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.position_embedding import PositionEmbedding


@keras_mm_export
class AudioEncoder(FunctionalEncoder):
    """Waveform → log-mel spectrogram → Conv1D stem → transformer.

    The front end is `keras.layers.MelSpectrogram` (power, no dB scaling)
    followed by `log(mel + 1e-6)`, computed per example so a batch never
    influences its members. Two `Conv1D` layers (the second with stride 2,
    as in Whisper) turn mel frames into tokens.

    Args:
        num_samples: int. Waveform length in samples.
        sampling_rate: int. Samples per second.
        num_mel_bins: int. Mel filters.
        fft_length: int. STFT window and FFT size.
        sequence_stride: int. Hop between STFT frames.
        hidden_dim: int. Token width.
        num_layers: int. Transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. MLP width; defaults to `4 * hidden_dim`.
        pooling: str. `"mean"` over tokens, or `"cls"` (first token).
        dropout: float. Dropout inside the blocks.

    Inputs: `{"audio": float32 (batch, num_samples)}` waveform in [-1, 1].
    Outputs: `{"sequence_output": (batch, tokens, hidden_dim),
    "pooled_output": (batch, hidden_dim)}`.

    Example:
    ```python
    encoder = keras_mm.models.AudioEncoder(
        num_samples=4000, sampling_rate=8000, num_mel_bins=32,
        hidden_dim=32, num_layers=1, num_heads=2)
    out = encoder({"audio": np.zeros((2, 4000), "float32")})
    out["pooled_output"].shape  # (2, 32)
    ```

    References:
        Radford et al., "Robust Speech Recognition via Large-Scale Weak
        Supervision" (Whisper), 2022.
    """

    input_keys = ("audio",)

    def __init__(
        self,
        num_samples,
        sampling_rate=16000,
        num_mel_bins=64,
        fft_length=512,
        sequence_stride=160,
        hidden_dim=128,
        num_layers=2,
        num_heads=4,
        intermediate_dim=None,
        pooling="mean",
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        mel = keras.layers.MelSpectrogram(
            fft_length=fft_length,
            sequence_stride=sequence_stride,
            sampling_rate=sampling_rate,
            num_mel_bins=num_mel_bins,
            power_to_db=False,  # Its dB scaling clips by the batch max.
            name="mel_spectrogram",
        )
        conv_in = keras.layers.Conv1D(
            hidden_dim, 3, padding="same", activation="gelu", dtype=dtype,
            name="conv_in",
        )
        conv_down = keras.layers.Conv1D(
            hidden_dim, 3, strides=2, padding="same", activation="gelu",
            dtype=dtype, name="conv_down",
        )
        blocks = transformer_blocks(
            num_layers, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, dropout=dropout, dtype=dtype)
        final_norm, pool = final_norm_and_pooling(pooling, dtype=dtype)

        # === Functional Model ===
        audio = keras.Input((num_samples,), name="audio")
        spectrogram = mel(audio)  # (B, mels, frames)
        x = ops.log(ops.transpose(spectrogram, (0, 2, 1)) + 1e-6)
        x = conv_down(conv_in(x))  # (B, tokens, hidden_dim)
        position_embedding = PositionEmbedding(
            x.shape[1], dtype=dtype, name="position_embedding"
        )
        x = run_blocks(blocks, position_embedding(x), final_norm)
        super().__init__({"audio": audio}, x, pool(x),
                         locals(), dtype=dtype, **kwargs)
