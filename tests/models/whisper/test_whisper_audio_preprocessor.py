import os

import numpy as np
import pytest

from keras_mm.models.whisper import WhisperAudioPreprocessor
from keras_mm.models.whisper.mel_filters import slaney_mel_filters


def test_mel_filters_match_transformers():
    pytest.importorskip("transformers")
    from transformers import WhisperFeatureExtractor

    for mels in (16, 80, 128):
        reference = WhisperFeatureExtractor(feature_size=mels).mel_filters
        np.testing.assert_allclose(slaney_mel_filters(201, mels, 16000),
                                   reference, rtol=1e-12, atol=1e-15)


def test_features_match_transformers(tiny_whisper, waveforms):
    folder, _, extractor = tiny_whisper
    preprocessor = WhisperAudioPreprocessor.from_preprocessor_config(
        os.path.join(folder, "preprocessor_config.json"))
    features = preprocessor(waveforms)["input_features"]
    expected = extractor(waveforms, sampling_rate=16000,
                         return_tensors="np")["input_features"]
    assert features.shape == expected.shape == (3, 16, 100)
    assert features.dtype == np.float32
    np.testing.assert_allclose(features, expected, atol=1e-4)


def test_one_waveform_and_a_batch_array_agree(waveforms):
    preprocessor = WhisperAudioPreprocessor(num_mel_bins=16, chunk_length=1)
    one = preprocessor(waveforms[0])["input_features"]
    batch = preprocessor(np.stack([waveforms[0]] * 2))["input_features"]
    assert one.shape == (1, 16, 100)
    np.testing.assert_array_equal(batch, np.concatenate([one, one]))


def test_config_round_trip():
    preprocessor = WhisperAudioPreprocessor(num_mel_bins=16, chunk_length=1)
    clone = WhisperAudioPreprocessor.from_config(preprocessor.get_config())
    assert clone.get_config() == preprocessor.get_config()
    assert clone.num_frames == 100
