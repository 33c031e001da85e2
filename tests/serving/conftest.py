"""A tiny untrained quickstart CLIP, served with the builtin index."""

import pytest


@pytest.fixture(scope="session")
def serve_model_dir(tmp_path_factory):
    from keras_mm.demos.demo_model import make_demo_model_dir

    return make_demo_model_dir(str(tmp_path_factory.mktemp("serve_model")))


@pytest.fixture(scope="session")
def keras_service(serve_model_dir):
    """A warmed-up service with the builtin index (small buckets)."""
    from keras_mm.demos.search_data import builtin_index_source
    from keras_mm.serving.server import load_service

    service = load_service(serve_model_dir,
                           index=builtin_index_source(serve_model_dir),
                           buckets=(1, 32), max_wait_ms=5.0)
    yield service
    service.close()
