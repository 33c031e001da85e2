"""What the Hugging Face audio checkpoints (Whisper, wav2vec2) share."""

import os

import numpy as np

from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models.hf_tensor_reader import read_json
from keras_mm.models.pretrained_tower import PretrainedTower

def mono_waveforms(waveforms):
    """One waveform, a batch or a list of any lengths -> float32 arrays.

    float32 first, as Hugging Face's feature extractors convert inputs.

    Example:
    ```python
    [w.shape for w in mono_waveforms(np.zeros(5))]  # [(5,)]
    ```
    """
    if isinstance(waveforms, np.ndarray) and waveforms.ndim == 1:
        waveforms = [waveforms]
    elif not isinstance(waveforms, np.ndarray) and len(waveforms) and (
            np.ndim(waveforms[0]) == 0):
        waveforms = [waveforms]  # One waveform given as a list.
    waveforms = [np.asarray(w, dtype="float32") for w in waveforms]
    for waveform in waveforms:
        if waveform.ndim != 1:
            raise ValueError(
                "Each waveform must be mono, shape (samples,). "
                f"Received: shape={waveform.shape}")
    return waveforms


def load_hf_audio_tower(folder, encoder_class, preprocessor_class,
                        encoder_kwargs_from_hf, assign_weights, source,
                        name, dtype=None, check=None):
    """An audio `PretrainedTower` from a Hugging Face folder: the encoder
    from `config.json` and the checkpoint's tensors, the preprocessor from
    `preprocessor_config.json`; a missing folder or file is named.

    Args:
        encoder_class: the keras_mm encoder, built from
            `encoder_kwargs_from_hf(config)` and filled by
            `assign_weights(encoder, tensors, source=folder)`.
        preprocessor_class: has `from_preprocessor_config(path)`.
        source: str. The format's name (`PretrainedTower.source`).
        name: str. The encoder's name.
        check: optional `check(folder, encoder_kwargs, preprocessor)`,
            raising where the two configs disagree.
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No checkpoint folder at {folder}")
    kwargs = encoder_kwargs_from_hf(read_json(folder, "config.json"))
    read_json(folder, "preprocessor_config.json")  # Names it when missing.
    preprocessor = preprocessor_class.from_preprocessor_config(
        os.path.join(folder, "preprocessor_config.json"))
    if check is not None:
        check(folder, kwargs, preprocessor)
    encoder = encoder_class(**kwargs, dtype=dtype, name=name)
    assign_weights(encoder, read_tensors(folder), source=folder)
    return PretrainedTower(encoder=encoder, preprocessor=preprocessor,
                           modality="audio", source=source, path=folder)
