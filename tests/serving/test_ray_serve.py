"""`keras-mm serve --engine ray`: both layouts (service replicas one hop
from the proxy; front replicas ahead of tower replicas) on a local Ray
cluster that the command starts, answering like the in-process server.

Ray starts a cluster and one process per replica (each importing Keras):
minutes on a busy 2-core machine, so the end-to-end test runs on the torch
backend only (the front and towers run the same code on every backend).
"""

import concurrent.futures
import signal

import httpx
import keras
import numpy as np
import pytest
from serve_process import ServeProcess

from keras_mm.cli.main import main
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import text_inputs


def test_ray_flags_are_checked_before_anything_starts(serve_model_dir,
                                                      capsys):
    common = ["serve", "--model", serve_model_dir, "--engine", "ray"]
    assert main(common + ["--replicas", "2", "--max-replicas", "1"]) == 2
    assert "--max-replicas must be >= --replicas (2)" in (
        capsys.readouterr().err)
    assert main(common + ["--workers", "2"]) == 2
    assert "with --engine ray use --replicas" in capsys.readouterr().err
    assert main(common + ["--front-replicas", "-1"]) == 2
    assert "--front-replicas must be >= 0" in capsys.readouterr().err
    assert main(common + ["--cpus-per-replica", "0"]) == 2
    assert "--cpus-per-replica must be >= 1" in capsys.readouterr().err


@pytest.mark.large
@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="one backend starts the Ray cluster (minutes)")
@pytest.mark.parametrize("front_replicas", ["0", "1"],
                         ids=["one_hop", "front_and_towers"])
def test_two_replicas_answer_like_the_local_server(keras_service,
                                                   serve_model_dir,
                                                   front_replicas):
    pytest.importorskip("ray.serve")
    with ServeProcess(["--model", serve_model_dir, "--engine", "ray",
                       "--replicas", "2", "--front-replicas",
                       front_replicas, "--index", "builtin"],
                      lambda output: b"Ray Serve ready" in output,
                      timeout=480, stop_signal=signal.SIGINT) as server:
        # Ctrl-C on leaving: Serve shuts down, the local cluster with it.
        url = server.url
        captions = make_image_text_pairs(6, seed=21)["captions"]
        expected = keras.ops.convert_to_numpy(
            keras_service.runtime.model.encode("text", text_inputs(
                keras_service.text_preprocessor, captions)))

        def embed(caption):
            return httpx.post(url + "/embed/text", json={"text": caption},
                              timeout=120)

        # Concurrent requests are batched by the replicas; a bad one beside
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
        # Without --cache redis://… each service replica keeps its own
        # cache: a repeat misses at most once (on the replica that has not
        # seen the text yet), then both replicas hit.
        repeats = [embed(captions[0]).headers["x-cache"] for _ in range(3)]
        assert repeats.count("hit") >= 2, repeats
        found = httpx.post(url + "/search", json={"text": captions[0],
                                                  "k": 3}, timeout=120)
        assert found.status_code == 200, found.text
        assert len(found.json()["results"]) == 3
        assert httpx.post(url + "/search", json={"text": "x", "k": 0},
                          timeout=120).status_code == 422
        health = httpx.get(url + "/healthz", timeout=60).json()
        assert health["status"] == "ok" and health["index_size"] > 0
