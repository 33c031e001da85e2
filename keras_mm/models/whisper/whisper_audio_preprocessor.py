"""Whisper's log-mel features from 16 kHz waveforms, computed on the host."""

import numpy as np

from keras_mm.constructor_config import ConstructorConfig
from keras_mm.models.hf_audio_folder import mono_waveforms
from keras_mm.models.hf_folder import read_json
from keras_mm.models.whisper.mel_filters import slaney_mel_filters


class WhisperAudioPreprocessor(ConstructorConfig):
    """Waveforms → Whisper log-mel spectrograms, as `WhisperFeatureExtractor`.

    Each waveform is zero-padded or cut to `chunk_length * sampling_rate`
    samples, then: a centred STFT (periodic Hann window of `n_fft`, hop
    `hop_length`, reflect padding), the power spectrum without its last
    frame, Slaney mel filters up to 8 kHz, `log10(max(mel, 1e-10))`, a floor
    8 below each example's maximum and `(x + 4) / 4`. It runs in NumPy
    (float64, cast to float32 at the end) because it runs before the model,
    on the host, in any backend.

    Args:
        num_mel_bins: int. Mel filters (`feature_size` in Hugging Face's
            `preprocessor_config.json`).
        sampling_rate: int. Samples per second the waveforms have.
        hop_length: int. STFT hop in samples.
        chunk_length: int. Seconds every waveform is padded or cut to.
        n_fft: int. STFT window and FFT size.
        padding_value: float. Value padded waveforms are filled with.
        dither: float. Standard deviation of Gaussian noise added to the
            padded waveform (0 in released checkpoints; not deterministic).

    Call arguments:
        waveforms: one float waveform `(samples,)`, a batch
            `(batch, samples)` or a list of waveforms of any lengths, in
            [-1, 1] at `sampling_rate`.

    Returns:
        `{"input_features": float32 (batch, num_mel_bins, frames)}` with
        `frames = chunk_length * sampling_rate // hop_length`: the input of
        `keras_mm.models.whisper.WhisperAudioEncoder`.

    Example:
    ```python
    preprocessor = keras_mm.models.whisper.WhisperAudioPreprocessor(
        num_mel_bins=80)
    features = preprocessor([np.zeros(16000, "float32")])
    features["input_features"].shape  # (1, 80, 3000)
    ```
    """

    def __init__(self, num_mel_bins=80, sampling_rate=16000, hop_length=160,
                 chunk_length=30, n_fft=400, padding_value=0.0, dither=0.0):
        self._remember_config(locals())
        self.num_samples = chunk_length * sampling_rate
        self.num_frames = self.num_samples // hop_length
        self.mel_filters = slaney_mel_filters(
            n_fft // 2 + 1, num_mel_bins, sampling_rate)  # (F, M)
        # `torch.hann_window` / HF's `window_function`: periodic Hann.
        self.window = np.hanning(n_fft + 1)[:-1]

    @classmethod
    def from_preprocessor_config(cls, path):
        """Reads Hugging Face's `preprocessor_config.json`."""
        config = read_json(path)
        return cls(
            num_mel_bins=config.get("feature_size", 80),
            sampling_rate=config.get("sampling_rate", 16000),
            hop_length=config.get("hop_length", 160),
            chunk_length=config.get("chunk_length", 30),
            n_fft=config.get("n_fft", 400),
            padding_value=config.get("padding_value", 0.0),
            dither=config.get("dither", 0.0),
        )

    def __call__(self, waveforms):
        batch = self._pad_or_trim(waveforms)  # (B, num_samples)
        if self.dither:
            batch = batch + self.dither * np.random.standard_normal(
                batch.shape)
        half = self.n_fft // 2
        padded = np.pad(batch, ((0, 0), (half, half)), mode="reflect")
        frames = np.lib.stride_tricks.sliding_window_view(
            padded, self.n_fft, axis=1)[:, :: self.hop_length]  # (B, T+1, N)
        spectrum = np.fft.rfft(frames * self.window, axis=-1)
        # Whisper drops the last STFT frame: T = num_samples / hop frames.
        power = np.abs(spectrum[:, :-1]) ** 2  # (B, T, F)
        mel = power @ self.mel_filters  # (B, T, M)
        log_mel = np.log10(np.maximum(mel, 1e-10))
        floor = log_mel.max(axis=(1, 2), keepdims=True) - 8.0
        log_mel = (np.maximum(log_mel, floor) + 4.0) / 4.0
        features = np.transpose(log_mel, (0, 2, 1))  # (B, M, T)
        return {"input_features": features.astype("float32")}

    def _pad_or_trim(self, waveforms):
        waveforms = mono_waveforms(waveforms)
        batch = np.full((len(waveforms), self.num_samples),
                        self.padding_value, dtype="float64")
        for row, waveform in zip(batch, waveforms):
            length = min(len(waveform), self.num_samples)
            row[:length] = waveform[:length]
        return batch
