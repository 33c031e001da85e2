import os

import keras
import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import text_inputs
from keras_mm.serving.runtimes import pad_to_bucket


def test_pad_to_bucket_repeats_the_last_row():
    batch = {"x": np.arange(6).reshape(3, 2)}
    padded, count = pad_to_bucket(batch, (1, 4, 8))
    assert count == 3 and padded["x"].shape == (4, 2)
    np.testing.assert_array_equal(padded["x"][3], [4, 5])
    same, count = pad_to_bucket(batch, (1, 3))
    assert same is batch and count == 3
    # Larger than every bucket: left as is (the runtime splits first).
    same, count = pad_to_bucket(batch, (1, 2))
    assert same is batch


def test_keras_runtime_matches_the_model_across_chunks(keras_service):
    runtime = keras_service.runtime
    assert runtime.buckets == (1, 32)
    pairs = make_image_text_pairs(40, seed=21)  # 32 + 8 (padded to 32).
    images = {"images": pairs["images"].astype("float32")}
    expected = keras.ops.convert_to_numpy(
        runtime.model.encode("image", images))
    np.testing.assert_allclose(runtime.embed("image", images), expected,
                               atol=1e-5, rtol=0)
    texts = text_inputs(keras_service.text_preprocessor, pairs["captions"][:3])
    expected = keras.ops.convert_to_numpy(runtime.model.encode("text", texts))
    out = runtime.embed("text", texts)
    assert out.dtype == np.float32 and out.shape == (3, 32)
    np.testing.assert_allclose(out, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)


@pytest.mark.skipif(keras.config.backend() != "tensorflow",
                    reason="LiteRT conversion runs in-process on tensorflow")
def test_litert_runtime_serves_the_exported_towers(serve_model_dir,
                                                   keras_service):
    from starlette.testclient import TestClient

    from keras_mm.export.litert import export_litert
    from keras_mm.serving.app import build_app
    from keras_mm.serving.server import load_service

    export_litert(keras_service.runtime.model,
                  os.path.join(serve_model_dir, "litert"),
                  modes=("float32",))
    service = load_service(serve_model_dir, runtime="litert")
    assert service.runtime.name == "litert"
    captions = make_image_text_pairs(3, seed=22)["captions"]
    expected = keras.ops.convert_to_numpy(keras_service.runtime.model.encode(
        "text", text_inputs(keras_service.text_preprocessor, captions)))
    with TestClient(build_app(service)) as client:
        r = client.post("/embed/text", json={"texts": captions})
        assert client.get("/healthz").json()["runtime"] == "litert"
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["embeddings"], expected, atol=1e-5,
                               rtol=0)
    service.close()
