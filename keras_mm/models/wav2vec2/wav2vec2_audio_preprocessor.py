"""wav2vec 2.0's input normalisation, computed on the host."""

import numpy as np

from keras_mm.constructor_config import ConstructorConfig
from keras_mm.models.hf_audio_folder import mono_waveforms
from keras_mm.models.hf_folder import read_json


class Wav2Vec2AudioPreprocessor(ConstructorConfig):
    """Waveforms → `input_values`, as Hugging Face's
    `Wav2Vec2FeatureExtractor` with `padding=True`.

    A batch is padded to its longest waveform with `padding_value`. With
    `do_normalize`, each waveform is shifted and scaled to zero mean and
    unit variance (`(x - mean) / sqrt(var + 1e-7)`). Like Hugging Face, a
    preprocessor that returns no attention mask (the wav2vec2-base
    checkpoints) takes the statistics over the padded row, padding
    included; one that does (`return_attention_mask`, the "lv60" models)
    takes them over the real samples and writes `padding_value` back over
    the padding. NumPy (float64, cast to float32 at the end): this runs on
    the host before the model.

    Args:
        sampling_rate: int. Samples per second the waveforms must have.
        do_normalize: bool. Zero-mean, unit-variance normalisation.
        padding_value: float. Fills the end of shorter waveforms.
        return_attention_mask: bool. Normalise over the real samples only
            (see above).

    Call arguments:
        waveforms: one float waveform `(samples,)`, a batch
            `(batch, samples)` or a list of waveforms of any lengths.

    Returns:
        `{"input_values": float32 (batch, longest)}`: the input of
        `keras_mm.models.wav2vec2.Wav2Vec2AudioEncoder`.

    Example:
    ```python
    preprocessor = keras_mm.models.wav2vec2.Wav2Vec2AudioPreprocessor()
    inputs = preprocessor([np.ones(800, "float32"), np.ones(1600, "float32")])
    inputs["input_values"].shape  # (2, 1600)
    ```
    """

    def __init__(self, sampling_rate=16000, do_normalize=True,
                 padding_value=0.0, return_attention_mask=False):
        self._remember_config(locals())

    @classmethod
    def from_preprocessor_config(cls, path):
        """Reads Hugging Face's `preprocessor_config.json`."""
        config = read_json(path)
        return cls(
            sampling_rate=config.get("sampling_rate", 16000),
            do_normalize=config.get("do_normalize", True),
            padding_value=config.get("padding_value", 0.0),
            return_attention_mask=config.get("return_attention_mask", False),
        )

    def __call__(self, waveforms):
        waveforms = mono_waveforms(waveforms)
        longest = max(len(w) for w in waveforms)
        batch = np.full((len(waveforms), longest), self.padding_value,
                        dtype="float64")
        for row, waveform in zip(batch, waveforms):
            row[: len(waveform)] = waveform
            if not self.do_normalize:
                continue
            # Statistics over the real samples, or (no attention mask) over
            # the padded row, as Hugging Face computes them.
            real = len(waveform) if self.return_attention_mask else longest
            mean, var = row[:real].mean(), row[:real].var()
            row[:] = (row - mean) / np.sqrt(var + 1e-7)
            row[real:] = self.padding_value  # Empty without a mask.
        return {"input_values": batch.astype("float32")}
