import numpy as np
import pytest

from keras_mm.models.hf_audio_folder import load_hf_audio_tower
from keras_mm.models.hf_audio_folder import mono_waveforms


def test_one_waveform_a_batch_or_a_list():
    assert [w.shape for w in mono_waveforms(np.zeros(5))] == [(5,)]
    assert [w.shape for w in mono_waveforms(np.zeros((2, 4)))] == [(4,)] * 2
    ragged = mono_waveforms([np.zeros(3), [0.0, 1.0]])
    assert [w.shape for w in ragged] == [(3,), (2,)]
    assert mono_waveforms([0.0, 0.5])[0].dtype == np.float32


def test_stereo_is_named():
    with pytest.raises(ValueError, match="mono"):
        mono_waveforms([np.zeros((3, 2))])


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint folder"):
        load_hf_audio_tower(str(tmp_path / "none"), None, None, None, None,
                            "source", "name")
