"""`keras-mm serve --workers 2`: two processes behind one port."""

import os
import subprocess
import sys
import threading
import time

import httpx
import keras
import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.server import free_port


@pytest.mark.large
def test_two_workers_answer_with_offline_embeddings(keras_service,
                                                    serve_model_dir):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_mm.cli.main", "serve", "--model",
         serve_model_dir, "--port", str(port), "--workers", "2",
         "--max-batch-size", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    lines = []

    def read_output():
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read_output, daemon=True).start()
    try:
        # Each worker logs its startup once its model is loaded.
        deadline = time.monotonic() + 300
        while sum(b"Application startup complete" in line
                  for line in list(lines)) < 2:
            assert process.poll() is None, b"".join(lines).decode()
            assert time.monotonic() < deadline, b"".join(lines).decode()
            time.sleep(0.5)
        pid = httpx.get(url + "/healthz").json()["worker_pid"]
        assert pid != process.pid  # A worker answered, not the parent.
        captions = make_image_text_pairs(6, seed=21)["captions"]
        expected = keras.ops.convert_to_numpy(
            keras_service.runtime.model.encode("text", text_inputs(
                keras_service.text_preprocessor, captions)))
        served = {}
        for i, caption in enumerate(captions * 2):  # Misses, then hits.
            r = httpx.post(url + "/embed/text", json={"text": caption})
            assert r.status_code == 200, r.text
            served.setdefault(i % len(captions), []).append(
                r.json()["embeddings"][0])
        for i, vectors in served.items():
            np.testing.assert_allclose(vectors, [expected[i]] * 2,
                                       atol=1e-5, rtol=0)
        # Whichever worker answers, /metrics sums both.
        requests = httpx.get(url + "/metrics?format=json").json()[
            "requests"]
        assert sum(r["count"] for r in requests
                   if r["path"] == "/embed/text") == len(captions) * 2
    finally:
        process.terminate()
        process.wait(timeout=30)
