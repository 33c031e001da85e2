"""`keras-mm embed --audio` on a Whisper folder equals transformers."""

import numpy as np

from keras_mm.cli.main import main


def test_embed_audio_files(tiny_whisper, waveforms, tmp_path):
    from keras_mm.data.media import read_wav
    from keras_mm.data.media import write_wav

    folder, model, extractor = tiny_whisper
    paths = []
    for i, waveform in enumerate(waveforms[:2]):
        path = str(tmp_path / f"clip_{i}.wav")
        write_wav(path, waveform, 16000)
        paths.append(path)
    out = str(tmp_path / "rows.npy")
    argv = ["embed", "--model", folder, "--out", out]
    for path in paths:
        argv += ["--audio", path]
    assert main(argv) == 0
    import torch

    # The reference reads the same 16-bit files.
    read = [read_wav(p)[0] for p in paths]
    features = extractor(read, sampling_rate=16000,
                         return_tensors="pt")["input_features"]
    with torch.no_grad():
        pooled = model.encoder(features).last_hidden_state.numpy().mean(1)
    np.testing.assert_allclose(np.load(out), pooled, atol=1e-4)

    write_wav(str(tmp_path / "8k.wav"), waveforms[0], 8000)
    assert main(["embed", "--model", folder, "--audio",
                 str(tmp_path / "8k.wav"), "--out", out]) == 2
