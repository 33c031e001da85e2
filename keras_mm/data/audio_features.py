"""Log-mel features + SpecAugment masking for audio pipelines (opt-in)."""

import keras


class AudioFeatures:
    """Waveforms → log-mel spectrograms, with optional SpecAugment masks.

    Uses `keras.layers.MelSpectrogram`; SpecAugment (Park et al., 2019)
    zeroes `num_masks` random frequency bands of up to `frequency_mask`
    bins and time spans of up to `time_mask` frames, per example.

    Args:
        sample_rate: int.
        num_mel_bins: int.
        frame_length: int. STFT window in samples.
        frame_step: int. STFT hop in samples.
        frequency_mask: int. Max masked mel bins (0: off).
        time_mask: int. Max masked frames (0: off).
        num_masks: int. Masks of each kind per example.
        seed: int.

    Call arguments:
        audio: float32 `(B, samples)`, inside `tf.data`.

    Returns:
        float32 `(B, frames, num_mel_bins)`.

    Example:
    ```python
    features = keras_mm.data.AudioFeatures(8000, num_mel_bins=32,
                                           frequency_mask=4, time_mask=8)
    ds = keras_mm.data.make_dataset(pairs, pre, modality="audio",
                                    augment=features)
    ```
    """

    def __init__(self, sample_rate=16000, num_mel_bins=64, frame_length=400,
                 frame_step=160, frequency_mask=0, time_mask=0, num_masks=2,
                 seed=0):
        self.sample_rate, self.num_mel_bins = sample_rate, num_mel_bins
        self.frame_length, self.frame_step = frame_length, frame_step
        self.frequency_mask, self.time_mask = frequency_mask, time_mask
        self.num_masks, self.seed = num_masks, seed
        self.mel = keras.layers.MelSpectrogram(
            fft_length=max(512, frame_length), sequence_stride=frame_step,
            sequence_length=frame_length, sampling_rate=sample_rate,
            num_mel_bins=num_mel_bins, power_to_db=True,
        )
        self._generator = None

    def _mask(self, x, axis, width):
        import tensorflow as tf

        batch, size = tf.shape(x)[0], tf.shape(x)[axis]
        g = self._generator
        w = tf.cast(g.uniform([batch, 1]) * (width + 1), tf.int32)
        start = tf.cast(g.uniform([batch, 1]) * tf.cast(
            tf.maximum(size - w, 1), tf.float32), tf.int32)
        idx = tf.range(size)[None, :]  # (1, size)
        keep = tf.logical_or(idx < start, idx >= start + w)  # (B, size)
        keep = keep[:, :, None] if axis == 1 else keep[:, None, :]
        return x * tf.cast(keep, x.dtype)

    def __call__(self, audio):
        import tensorflow as tf

        x = self.mel(audio)  # (B, mels, frames)
        x = tf.transpose(x, [0, 2, 1])  # (B, frames, mels)
        if self.frequency_mask or self.time_mask:
            if self._generator is None:
                self._generator = tf.random.Generator.from_seed(self.seed)
            for _ in range(self.num_masks):
                if self.time_mask:
                    x = self._mask(x, 1, self.time_mask)
                if self.frequency_mask:
                    x = self._mask(x, 2, self.frequency_mask)
        return x

    def get_config(self):
        return {k: getattr(self, k) for k in (
            "sample_rate", "num_mel_bins", "frame_length", "frame_step",
            "frequency_mask", "time_mask", "num_masks", "seed")}
