import numpy as np
import pytest

from keras_mm.datasets.audio import make_audio_text_pairs


def test_deterministic_clips_whose_captions_match_their_events():
    a = make_audio_text_pairs(6, sample_rate=4000, duration=0.5, seed=3)
    b = make_audio_text_pairs(6, sample_rate=4000, duration=0.5, seed=3)
    np.testing.assert_array_equal(a["audio"], b["audio"])
    assert a["audio"].shape == (6, 2000) and a["audio"].dtype == np.float32
    assert np.abs(a["audio"]).max() <= 1.0
    for caption, events in zip(a["captions"], a["events"]):
        assert caption.count(" then ") == len(events) - 1
        for event in events:
            assert event["pitch"] in caption
    c = make_audio_text_pairs(6, sample_rate=4000, duration=0.5, seed=4)
    assert not np.array_equal(a["audio"], c["audio"])


def test_a_tone_has_its_pitch_and_a_chirp_sweeps():
    rate = 8000
    data = make_audio_text_pairs(60, sample_rate=rate, seed=0)
    for wave, events in zip(data["audio"], data["events"]):
        if len(events) != 1:
            continue
        spectrum = np.abs(np.fft.rfft(wave))
        peak = np.argmax(spectrum) * rate / len(wave)
        base = {"low": 220, "middle": 440, "high": 880}[events[0]["pitch"]]
        if events[0]["kind"] == "tone":
            assert abs(peak - base) < 0.05 * base
        else:
            assert base * 0.45 < peak < base * 2.1
    with pytest.raises(ValueError, match="num_samples"):
        make_audio_text_pairs(0)
