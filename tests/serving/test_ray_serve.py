"""`keras-mm serve --engine ray`: the front and tower deployments on a local
Ray cluster that the command starts, answering like the in-process server.

Ray starts a cluster and one process per replica (each importing Keras):
minutes on a busy 2-core machine, so the end-to-end test runs on the torch
backend only (the front and towers run the same code on every backend).
"""

import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import keras
import numpy as np
import pytest

from keras_mm.cli.main import main
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.server import free_port


def test_ray_flags_are_checked_before_anything_starts(serve_model_dir,
                                                      capsys):
    common = ["serve", "--model", serve_model_dir, "--engine", "ray"]
    assert main(common + ["--replicas", "2", "--max-replicas", "1"]) == 2
    assert "--max-replicas must be >= --replicas (2)" in (
        capsys.readouterr().err)
    assert main(common + ["--workers", "2"]) == 2
    assert "--front-replicas" in capsys.readouterr().err
    assert main(common + ["--cpus-per-replica", "0"]) == 2
    assert "--cpus-per-replica must be >= 1" in capsys.readouterr().err


@pytest.mark.large
@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="one backend starts the Ray cluster (minutes)")
def test_two_tower_replicas_answer_like_the_local_server(keras_service,
                                                         serve_model_dir):
    pytest.importorskip("ray.serve")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_mm.cli.main", "serve", "--model",
         serve_model_dir, "--engine", "ray", "--replicas", "2",
         "--port", str(port), "--index", "builtin"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, cwd=os.getcwd())
    lines = []
    threading.Thread(target=lambda: lines.extend(process.stdout),
                     daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 480
        while not any(b"Ray Serve ready" in line for line in list(lines)):
            assert process.poll() is None, b"".join(lines).decode()[-4000:]
            assert time.monotonic() < deadline, b"".join(lines).decode()
            time.sleep(1)
        captions = make_image_text_pairs(6, seed=21)["captions"]
        expected = keras.ops.convert_to_numpy(
            keras_service.runtime.model.encode("text", text_inputs(
                keras_service.text_preprocessor, captions)))

        def embed(caption):
            return httpx.post(url + "/embed/text", json={"text": caption},
                              timeout=120)

        # Concurrent requests are batched by the towers; a bad one beside
        # them gets its own 422 and nobody else notices.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            bad = pool.submit(httpx.post, url + "/embed/text",
                              json={"texts": [3]}, timeout=120)
            answers = list(pool.map(embed, captions))
        assert bad.result().status_code == 422
        assert "texts[0]" in bad.result().json()["error"]
        for answer, vector in zip(answers, expected):
            assert answer.status_code == 200, answer.text
            np.testing.assert_allclose(answer.json()["embeddings"][0],
                                       vector, atol=1e-5, rtol=0)
        assert embed(captions[0]).headers["x-cache"] == "hit"
        found = httpx.post(url + "/search", json={"text": captions[0],
                                                  "k": 3}, timeout=120)
        assert found.status_code == 200, found.text
        assert len(found.json()["results"]) == 3
        assert httpx.post(url + "/search", json={"text": "x", "k": 0},
                          timeout=120).status_code == 422
        health = httpx.get(url + "/healthz", timeout=60).json()
        assert health["status"] == "ok" and health["index_size"] > 0
    finally:
        # Ctrl-C: Serve shuts down and the local cluster stops with it.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
