"""Fixtures for the data tests: the built-in dataset written to disk."""

import pytest

from keras_mm.datasets.writer import write_to_disk


@pytest.fixture(scope="session")
def builtin(tmp_path_factory):
    out = tmp_path_factory.mktemp("builtin")
    paths = write_to_disk(str(out), sizes={"train": 48, "test": 16},
                          num_audio={"train": 8}, num_videos=1,
                          video_duration=8.0, shard_size=20)
    return out, paths


@pytest.fixture(scope="session")
def preprocessor():
    from keras_mm.data.text_preprocessor import RESERVED_TOKENS
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.datasets.shapes import caption_vocabulary

    words = caption_vocabulary() + ["tone", "chirp", "rising", "falling",
                                    "low", "middle", "high", "then"]
    # 32 tokens: the length the quickstart text tower expects.
    return TextPreprocessor(list(RESERVED_TOKENS) + sorted(set(words)),
                            sequence_length=32)
