"""`keras-mm serve --workers 2`: two processes behind one port."""

import httpx
import keras
import numpy as np
import pytest
from serve_process import ServeProcess

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import text_inputs


@pytest.mark.large
def test_two_workers_answer_with_offline_embeddings(keras_service,
                                                    serve_model_dir):
    def ready(output):
        # Each worker logs its startup once its model is loaded.
        return output.count(b"Application startup complete") >= 2

    with ServeProcess(["--model", serve_model_dir, "--workers", "2",
                       "--max-batch-size", "1"], ready) as server:
        url = server.url
        pid = httpx.get(url + "/healthz").json()["worker_pid"]
        # A worker answered, not the parent.
        assert pid != server.process.pid
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
