"""`--engine ray`: a local 2-CPU Ray cluster embeds what the in-process
build embeds. Started and stopped by the test on 127.0.0.1; run under the
jax backend only (each Ray replica imports Keras, fastest on jax; the
in-process build is tested on every backend)."""

import os

import keras
import numpy as np
import pytest

from keras_mm.cli.main import main

pytest.importorskip("faiss")
pytest.importorskip("ray")
pytestmark = [
    pytest.mark.large,
    pytest.mark.skipif(keras.config.backend() != "jax",
                       reason="Ray replicas are tested under jax only"),
]


def test_ray_build_equals_in_process(tmp_path, capsys):
    from PIL import Image

    from keras_mm.presets import from_preset

    model = from_preset("clip-tiny", encoders__image__num_layers=1,
                        encoders__text__num_layers=1)
    model.save(tmp_path / "model.keras")
    lines = ["filepath,title"]
    for i in range(6):
        Image.new("RGB", (32, 32), (40 * i, 255 - 40 * i, 90)).save(
            tmp_path / f"{i}.png")
        lines.append(f"{i}.png,square {i}")
    (tmp_path / "photos.csv").write_text("\n".join(lines) + "\n")
    argv = ["index", "build", "--model", str(tmp_path / "model.keras"),
            "--data", str(tmp_path / "photos.csv"), "--shard-size", "3",
            "--batch-size", "3"]
    assert main(argv + ["--out", str(tmp_path / "local")]) == 0
    os.makedirs(tmp_path / "ray" / "shards")
    assert main(argv + ["--out", str(tmp_path / "ray"), "--engine", "ray",
                        "--replicas", "2"]) == 0
    local = np.load(tmp_path / "local" / "embeddings.npy")
    remote = np.load(tmp_path / "ray" / "embeddings.npy")
    np.testing.assert_allclose(remote, local, atol=1e-5)
    assert "6 x 64 image embeddings (0 reused" in capsys.readouterr().out
