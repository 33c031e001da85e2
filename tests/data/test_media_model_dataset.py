"""Audio files and video clips train through model_dataset like images:
the presets' own WaveformPreprocessor / VideoClipPreprocessor read them."""

import numpy as np
import pytest
from video_files import write_moving_square

from keras_mm.data import ErrorReport
from keras_mm.data import model_dataset
from keras_mm.data import read_pairs
from keras_mm.data.audio_files import write_audio
from keras_mm.data.srt import write_srt
from keras_mm.data.video_subtitle_pairs import read_video_subtitle_pairs
from keras_mm.presets import from_preset


def _with_text(model, texts):
    from keras_mm.data import TextPreprocessor

    model.preprocessors["text"] = TextPreprocessor.from_corpus(
        texts, vocabulary_size=1000, sequence_length=32)
    return model


def _fit_one_step(model, dataset):
    model.compile(optimizer="adam")
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.large  # ~25 s: compiles the audio tower's training step
def test_wav_and_flac_transcripts_train(tmp_path):
    rate = 8000  # Files at 8 kHz; the preset wants 16 kHz, 1 s.
    rows = ["audio,transcript"]
    for i, hz in enumerate((220, 330, 440, 550)):
        tone = 0.4 * np.sin(2 * np.pi * hz * np.arange(rate) / rate)
        name = f"tone{i}.{'flac' if i % 2 else 'wav'}"
        write_audio(tmp_path / name, tone, rate)
        rows.append(f"{name},a tone at {hz} hertz")
    (tmp_path / "broken.flac").write_bytes(b"fLaC" + b"\x00" * 40)
    rows.append("broken.flac,a broken file")
    (tmp_path / "speech.csv").write_text("\n".join(rows) + "\n")
    pairs = read_pairs(str(tmp_path / "speech.csv"), modality="audio")
    model = _with_text(from_preset("audio-clip-tiny"),
                       [p.text for p in pairs])
    report = ErrorReport(verbose=False)
    batches = list(model_dataset(pairs, model, batch_size=2, report=report))
    audio = np.concatenate([np.asarray(b["audio"]) for b in batches])
    assert sorted(batches[0]) == ["audio", "padding_mask", "token_ids"]
    assert audio.shape == (4, 16000)  # the broken file is skipped
    assert report.totals() == {"undecodable": 1}
    # 1 s at 8 kHz fills the 16 kHz second: the tone, resampled.
    t = np.arange(16000) / 16000
    np.testing.assert_allclose(audio[0, 8:-8],
                               0.4 * np.sin(2 * np.pi * 220 * t)[8:-8],
                               atol=2e-3)
    _fit_one_step(model, model_dataset(pairs[:4], model, batch_size=4))


def test_video_subtitle_clips_train(tmp_path):
    video = write_moving_square(tmp_path / "square.mp4")
    write_srt([(0.0, 0.5, "the square is on the left"),
               (0.5, 1.0, "the square moves right"),
               (1.0, 1.5, "the patch is green"),
               (1.5, 2.0, "the square is on the right")],
              str(tmp_path / "square.srt"))
    pairs = read_video_subtitle_pairs(video)
    model = _with_text(from_preset("video-clip-tiny"),
                       [p.text for p in pairs])
    batches = list(model_dataset(pairs, model, batch_size=4))
    assert len(batches) == 1
    assert sorted(batches[0]) == ["frames", "padding_mask", "token_ids"]
    frames = np.asarray(batches[0]["frames"])
    assert frames.shape == (4, 8, 32, 32, 3) and frames.dtype == "float32"
    # Clip 3 (1.0–1.5 s) shows the green patch, clip 1 the blue one.
    patch = frames[:, :, 22:28, 22:28].mean(axis=(1, 2, 3))  # (4, 3)
    assert patch[2, 1] > 200 > patch[2, 2] and patch[0, 2] > 200
    _fit_one_step(model, model_dataset(pairs, model, batch_size=4))


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_without_pyav_the_dataset_says_how_to_install(tmp_path, monkeypatch,
                                                      kind):
    import builtins

    if kind == "audio":
        write_audio(tmp_path / "a.flac", np.zeros(800), 8000)
        (tmp_path / "m.csv").write_text("audio,text\na.flac,silence\n")
        pairs = read_pairs(str(tmp_path / "m.csv"), modality="audio")
        model = _with_text(from_preset("audio-clip-tiny"), ["silence"])
    else:
        video = write_moving_square(tmp_path / "v.mp4")
        write_srt([(0.0, 1.0, "a square")], str(tmp_path / "v.srt"))
        pairs = read_video_subtitle_pairs(video)
        model = _with_text(from_preset("video-clip-tiny"), ["a square"])
    real_import = builtins.__import__

    def no_av(name, *args, **kwargs):
        if name == "av":
            raise ImportError("No module named 'av'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_av)
    with pytest.raises(ImportError, match=r"pip install 'keras_mm\[video\]'"):
        model_dataset(pairs, model, batch_size=1)
