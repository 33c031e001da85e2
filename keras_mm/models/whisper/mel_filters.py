"""Slaney-style mel filter bank, as librosa and Whisper build it."""

import numpy as np

# The Slaney mel scale is linear below 1 kHz and logarithmic above it.
_MIN_LOG_HERTZ = 1000.0
_MIN_LOG_MEL = 15.0
_LOG_STEP = np.log(6.4) / 27.0


def hertz_to_mel(hertz):
    """Hertz to Slaney mels (`np.ndarray` or float)."""
    hertz = np.asarray(hertz, dtype="float64")
    linear = 3.0 * hertz / 200.0
    log = _MIN_LOG_MEL + np.log(np.maximum(hertz, 1e-10) / _MIN_LOG_HERTZ) / (
        _LOG_STEP)
    return np.where(hertz >= _MIN_LOG_HERTZ, log, linear)


def mel_to_hertz(mels):
    """Slaney mels to hertz (the inverse of `hertz_to_mel`)."""
    mels = np.asarray(mels, dtype="float64")
    linear = 200.0 * mels / 3.0
    log = _MIN_LOG_HERTZ * np.exp(_LOG_STEP * (mels - _MIN_LOG_MEL))
    return np.where(mels >= _MIN_LOG_MEL, log, linear)


def slaney_mel_filters(num_frequency_bins, num_mel_bins, sampling_rate,
                       min_frequency=0.0, max_frequency=8000.0):
    """Triangular mel filters with Slaney area normalisation.

    The same matrix as `librosa.filters.mel(norm="slaney").T` and the one
    Hugging Face's `WhisperFeatureExtractor` builds (`mel_filter_bank` with
    `norm="slaney", mel_scale="slaney"`), in float64.

    Args:
        num_frequency_bins: int. `n_fft // 2 + 1`.
        num_mel_bins: int. Number of filters.
        sampling_rate: int. Samples per second.
        min_frequency: float. Lowest edge in Hz.
        max_frequency: float. Highest edge in Hz (Whisper: 8 kHz).

    Returns:
        float64 `(num_frequency_bins, num_mel_bins)`: multiply a power
        spectrum `(..., num_frequency_bins)` by it to get mel energies.

    Example:
    ```python
    filters = slaney_mel_filters(201, 80, 16000)  # (201, 80)
    ```
    """
    mels = np.linspace(hertz_to_mel(min_frequency),
                       hertz_to_mel(max_frequency), num_mel_bins + 2)
    edges = mel_to_hertz(mels)  # (num_mel_bins + 2,) in Hz
    # FFT bin frequencies; `sampling_rate // 2` as librosa and HF write it.
    fft_freqs = np.linspace(0, sampling_rate // 2, num_frequency_bins)
    widths = np.diff(edges)
    slopes = edges[None, :] - fft_freqs[:, None]  # (F, M + 2)
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    filters = np.maximum(0.0, np.minimum(down, up))  # (F, M)
    # Area normalisation: every filter has the same total weight.
    return filters * (2.0 / (edges[2:] - edges[:-2]))[None, :]
