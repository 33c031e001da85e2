"""A tiny untrained image–text model and its preprocessor."""

import pytest

from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.data.text_preprocessor import RESERVED_TOKENS
from keras_mm.datasets.shapes import caption_vocabulary
from keras_mm.datasets.shapes import make_image_text_pairs


@pytest.fixture(scope="session")
def tiny_pairs():
    return make_image_text_pairs(24, image_size=32, seed=5)


@pytest.fixture(scope="session")
def tiny_preprocessor():
    # Whole-word vocabulary of the built-in captions: no WordPiece training.
    vocabulary = list(RESERVED_TOKENS) + caption_vocabulary()
    return TextPreprocessor(vocabulary, sequence_length=16)


def _tiny_model(vocabulary_size):
    import keras

    keras.utils.set_random_seed(1)
    # build_model's text tower uses the quickstart's 32-token context; a
    # 16-token preprocessor pads to 16, so rebuild the tower at 16 tokens.
    from keras_mm.models.clip.text_transformer_encoder import (
        TextTransformerEncoder,
    )
    from keras_mm.models.vit.vision_transformer_encoder import (
        VisionTransformerEncoder,
    )
    from keras_mm.tasks.contrastive_model import ContrastiveModel

    image = VisionTransformerEncoder(32, 8, 32, 2, 2, name="image_encoder")
    text = TextTransformerEncoder(vocabulary_size, 16, 32, 1, 2,
                                  name="text_encoder")
    return ContrastiveModel({"image": image, "text": text},
                            projection_dim=16)


@pytest.fixture(scope="session")
def tiny_model(tiny_preprocessor):
    return _tiny_model(tiny_preprocessor.vocabulary_size)


@pytest.fixture(scope="session")
def tiny_byte_preprocessor():
    from keras_mm.data.byte_text_preprocessor import ByteTextPreprocessor

    return ByteTextPreprocessor(sequence_length=16)


@pytest.fixture(scope="session")
def tiny_byte_model(tiny_byte_preprocessor):
    return _tiny_model(tiny_byte_preprocessor.vocabulary_size)


@pytest.fixture(scope="session")
def tiny_clip():
    """A self-contained tiny CLIP (its own tokenizer and image
    preprocessor), see tests/eval_fixtures.py."""
    from eval_fixtures import build_tiny_clip

    return build_tiny_clip()


@pytest.fixture(scope="session")
def class_folder(tmp_path_factory):
    """`(folder, [(png path, class), …])`: 3 classes × 4 real PNGs."""
    from eval_fixtures import write_class_folder

    folder = tmp_path_factory.mktemp("classes")
    return str(folder), write_class_folder(str(folder))
