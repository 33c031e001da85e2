"""A tiny untrained quickstart CLIP saved like `run_quickstart` saves it."""

import os

import pytest


def make_model_dir(out_dir):
    from keras_mm.data.text_preprocessor import RESERVED_TOKENS
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.datasets.shapes import caption_vocabulary
    from keras_mm.quickstart import SEQUENCE_LENGTH
    from keras_mm.quickstart import build_model

    # Every caption word is a token: no vocabulary training needed.
    preprocessor = TextPreprocessor(
        [*RESERVED_TOKENS, *caption_vocabulary()], SEQUENCE_LENGTH
    )
    preprocessor.save_vocabulary(os.path.join(out_dir, "vocab.txt"))
    model = build_model(preprocessor.vocabulary_size, hidden_dim=32,
                        num_layers=1, num_heads=2, projection_dim=32)
    model.save(os.path.join(out_dir, "model.keras"))
    return out_dir


@pytest.fixture(scope="session")
def serve_model_dir(tmp_path_factory):
    return str(make_model_dir(tmp_path_factory.mktemp("serve_model")))


@pytest.fixture(scope="session")
def keras_service(serve_model_dir):
    """A warmed-up service with the builtin index (small buckets)."""
    from keras_mm.serving.server import load_service

    service = load_service(serve_model_dir, index="builtin",
                           buckets=(1, 32), max_wait_ms=5.0)
    yield service
    service.close()
