"""Audio files -> fixed-length waveforms: `keras_mm.models.AudioEncoder`'s
input, saved with the model so a reloaded `.keras` reads files itself."""

import os

import numpy as np

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class WaveformPreprocessor:
    """Audio files or waveforms -> `{"audio": float32 (N, length)}`.

    Each file is decoded to mono (`keras_mm.data.read_audio`: WAV with the
    standard library, FLAC/MP3/Ogg/M4A with PyAV), resampled to
    `sample_rate`, then cut to its first `length` samples or zero-padded
    at the end.

    Args:
        sample_rate: int. Samples per second the encoder expects.
        length: int. Samples per waveform (the encoder's `num_samples`).

    Call arguments:
        items: a list of paths, encoded bytes, or float waveforms
            `(samples,)` already at `sample_rate`.

    Example:
    ```python
    preprocess = keras_mm.models.WaveformPreprocessor(16000, 16000)
    preprocess(["a.wav", "b.flac"])["audio"].shape  # (2, 16000)
    ```
    """

    output_key = "audio"
    reads_files = True  # model_dataset hands it paths, not waveforms.

    def __init__(self, sample_rate=16000, length=16000):
        if not (isinstance(sample_rate, int) and sample_rate > 0):
            raise ValueError("sample_rate must be a positive int. Received: "
                             f"sample_rate={sample_rate!r}")
        if not (isinstance(length, int) and length > 0):
            raise ValueError("length must be a positive int. Received: "
                             f"length={length!r}")
        self.sample_rate = sample_rate
        self.length = length

    @property
    def sampling_rate(self):
        """The Hugging Face name of `sample_rate` (read by the embedder)."""
        return self.sample_rate

    @property
    def output_shape(self):
        return (self.length,)

    def __call__(self, items):
        if isinstance(items, np.ndarray) and items.ndim == 1:
            items = [items]
        return {"audio": np.stack([self.preprocess_one(x) for x in items])}

    def preprocess_one(self, item, source=None):
        """One path, bytes or waveform -> float32 `(length,)`."""
        from keras_mm.data.audio_files import read_audio

        if isinstance(item, (str, bytes, bytearray, os.PathLike)):
            # Decode 0.1 s more than needed, so the cut is not resampled.
            seconds = self.length / self.sample_rate + 0.1
            waveform = read_audio(item, self.sample_rate,
                                  max_duration=seconds, source=source)
        else:
            waveform = np.asarray(item, np.float32)
            if waveform.ndim != 1:
                raise ValueError("A waveform must be mono, shape (samples,)."
                                 f" Received: shape={waveform.shape}")
        out = np.zeros(self.length, np.float32)
        n = min(len(waveform), self.length)
        out[:n] = waveform[:n]
        return out

    @classmethod
    def for_encoder(cls, encoder):
        """The preprocessor matching an `AudioEncoder`'s config."""
        return cls(int(encoder.sampling_rate), int(encoder.num_samples))

    def get_config(self):
        return {"sample_rate": self.sample_rate, "length": self.length}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
